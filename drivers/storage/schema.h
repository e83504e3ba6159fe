#pragma once
// Forward migrations: entry i brings a database from user_version i to i + 1. Never edit a shipped entry;
// append a new one.
#include <array>

namespace hemd::storage {

inline constexpr std::array<const char*, 4> migrations = {
    // 1: the first schema.
    R"sql(
CREATE TABLE site_measurements (
  at_ms INTEGER NOT NULL, pv_w REAL, grid_w REAL, house_w REAL,
  grid_l1_a REAL, grid_l2_a REAL, grid_l3_a REAL);
CREATE INDEX site_measurements_at ON site_measurements(at_ms);
CREATE TABLE charger_measurements (
  at_ms INTEGER NOT NULL, charger_id TEXT NOT NULL, limit_a REAL, power_w REAL, energy_wh REAL);
CREATE INDEX charger_measurements_at ON charger_measurements(at_ms);
CREATE TABLE sessions (
  id INTEGER PRIMARY KEY, charger_id TEXT NOT NULL, transaction_id TEXT, id_tag TEXT,
  started_ms INTEGER NOT NULL, stopped_ms INTEGER, meter_start_wh REAL, meter_stop_wh REAL,
  energy_wh REAL, stop_reason TEXT);
CREATE TABLE prices (
  area TEXT NOT NULL, start_ms INTEGER NOT NULL, duration_s INTEGER NOT NULL,
  spot_dkk_mwh REAL, source TEXT NOT NULL, fetched_ms INTEGER NOT NULL,
  PRIMARY KEY (area, start_ms, duration_s));
CREATE TABLE plans (
  id INTEGER PRIMARY KEY, charger_id TEXT NOT NULL, created_ms INTEGER NOT NULL,
  departure_ms INTEGER, need_wh REAL, cost_dkk REAL, schedule_json TEXT NOT NULL);
CREATE TABLE events (
  at_ms INTEGER NOT NULL, level INTEGER NOT NULL, source TEXT NOT NULL, message TEXT NOT NULL);
)sql",
    // 2: run-time settings that survive a restart (mode, departure, target per charger), and per-charger
    // knowledge learnt from the charger itself (which profile kind worked).
    R"sql(
CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL, updated_ms INTEGER NOT NULL);
CREATE TABLE charger_knowledge (
  charger_id TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (charger_id, key));
CREATE INDEX events_at ON events(at_ms);
CREATE INDEX sessions_charger ON sessions(charger_id, started_ms);
)sql",
    // 3: DataHub tariff records (grid company and Energinet), kept so that a failed request never prices a
    // quarter-hour without its tariffs; hourly_json holds the 24 local-hour prices, DKK/kWh excluding VAT.
    R"sql(
CREATE TABLE tariffs (
  gln TEXT NOT NULL, code TEXT NOT NULL, note TEXT NOT NULL, valid_from_ms INTEGER NOT NULL,
  valid_to_ms INTEGER, hourly_json TEXT NOT NULL, fetched_ms INTEGER NOT NULL,
  PRIMARY KEY (gln, code, valid_from_ms));
CREATE INDEX prices_start ON prices(area, start_ms);
)sql",
    // 4: the PV forecast per interval, as last fetched before the interval began: what the plan counted on,
    // kept so that the forecast can be compared with what the site produced and corrected.
    R"sql(
CREATE TABLE pv_forecast (
  start_ms INTEGER PRIMARY KEY, end_ms INTEGER NOT NULL, pv_w REAL NOT NULL, source TEXT NOT NULL,
  fetched_ms INTEGER NOT NULL);
)sql",
};

}  // namespace hemd::storage
