#include "drivers/storage/tables.h"

#include <fmt/format.h>
#include <sqlite3.h>

#include <algorithm>

namespace hemd::storage {

namespace {

Value value(const std::optional<double>& v) {
  return v ? Value(*v) : Value(nullptr);
}

}  // namespace

void record(Recorder& r, const SiteMeasurement& m) {
  r.submit(
      {"INSERT INTO site_measurements (at_ms, pv_w, grid_w, house_w, grid_l1_a, grid_l2_a, grid_l3_a) "
       "VALUES (?,?,?,?,?,?,?)",
       {m.at_ms, value(m.pv_w), value(m.grid_w), value(m.house_w), value(m.grid_a[0]), value(m.grid_a[1]),
        value(m.grid_a[2])}});
}

std::vector<SiteMeasurement> site_measurements(Database& db, TimeMs from, TimeMs to) {
  std::vector<SiteMeasurement> out;
  db.each({"SELECT at_ms, pv_w, grid_w, house_w, grid_l1_a, grid_l2_a, grid_l3_a FROM site_measurements "
           "WHERE at_ms >= ? AND at_ms < ? ORDER BY at_ms",
           {from, to}},
          [&](const Row& row) {
            out.push_back({row.integer(0),
                           row.number(1),
                           row.number(2),
                           row.number(3),
                           {row.number(4), row.number(5), row.number(6)}});
          });
  return out;
}

void record(Recorder& r, const ChargerMeasurement& m) {
  r.submit(
      {"INSERT INTO charger_measurements (at_ms, charger_id, limit_a, power_w, energy_wh) VALUES "
       "(?,?,?,?,?)",
       {m.at_ms, m.charger_id, m.limit_a, m.power_w, m.energy_wh}});
}

void record(Recorder& r, const Event& e) {
  r.submit({"INSERT INTO events (at_ms, level, source, message) VALUES (?,?,?,?)",
            {e.at_ms, std::int64_t{e.level}, e.source, e.message}});
}

void record(Recorder& r, const SessionStart& s) {
  r.submit(
      {"INSERT INTO sessions (charger_id, transaction_id, id_tag, started_ms, meter_start_wh) "
       "VALUES (?,?,?,?,?)",
       {s.charger_id, s.transaction_id, s.id_tag, s.at_ms, s.meter_wh}});
}

void record(Recorder& r, const SessionStop& s) {
  r.submit(
      {"UPDATE sessions SET stopped_ms = ?, meter_stop_wh = ?, energy_wh = ? - meter_start_wh, "
       "stop_reason = ?, id_tag = COALESCE(NULLIF(?, ''), id_tag) WHERE charger_id = ? AND "
       "transaction_id = ?",
       {s.at_ms, s.meter_wh, s.meter_wh, s.reason, s.id_tag, s.charger_id, s.transaction_id}});
}

std::vector<ChargedSession> charged_sessions(Database& db, TimeMs from, TimeMs to) {
  std::vector<ChargedSession> out;
  db.each({"SELECT charger_id, started_ms, energy_wh FROM sessions WHERE started_ms >= ? AND started_ms < ? "
           "AND energy_wh IS NOT NULL ORDER BY started_ms",
           {from, to}},
          [&](const Row& row) {
            out.push_back({row.text(0), row.integer(1), row.number(2).value_or(0)});
          });
  return out;
}

void record(Recorder& r, const Plan& p) {
  r.submit(
      {"INSERT INTO plans (charger_id, created_ms, departure_ms, need_wh, cost_dkk, schedule_json) "
       "VALUES (?,?,?,?,?,?)",
       {p.charger_id, p.created_ms, p.departure_ms, p.need_wh, p.cost_dkk, p.schedule_json}});
}

Setting Setting::list(std::string key, const std::vector<std::string>& items) {
  std::string joined;
  for (const auto& item : items) joined += (joined.empty() ? "" : ",") + item;
  return {std::move(key), joined};
}

void record(Recorder& r, const Setting& s) {
  r.submit(
      {"INSERT OR REPLACE INTO settings (key, value, updated_ms) VALUES (?, ?, "
       "CAST(strftime('%s','now') AS INTEGER) * 1000)",
       {s.key, s.value}});
}

std::optional<std::string> setting(Database& db, const std::string& key) {
  std::optional<std::string> out;
  db.each({"SELECT value FROM settings WHERE key = ?", {key}}, [&](const Row& row) { out = row.text(0); });
  return out;
}

std::vector<std::string> list_setting(Database& db, const std::string& key) {
  std::vector<std::string> items;
  const std::string list = setting(db, key).value_or("");
  for (std::size_t at = 0; at < list.size();) {
    const auto comma = std::min(list.find(',', at), list.size());
    if (comma > at) items.push_back(list.substr(at, comma - at));
    at = comma + 1;
  }
  return items;
}

void record(Recorder& r, const LearntFact& f) {
  r.submit({"INSERT OR REPLACE INTO charger_knowledge (charger_id, key, value) VALUES (?, ?, ?)",
            {f.charger_id, f.key, f.value}});
}

ChargerKnowledge charger_knowledge(Database& db) {
  ChargerKnowledge out;
  db.each({"SELECT charger_id, key, value FROM charger_knowledge", {}},
          [&](const Row& row) { out[row.text(0)][row.text(1)] = row.text(2); });
  return out;
}

void store_pv_forecast(Database& db, const std::vector<PvForecastRow>& rows, TimeMs now) {
  db.exec("BEGIN IMMEDIATE");
  try {
    std::string error;
    for (const auto& r : rows) {
      if (r.start_ms < now) continue;  // what was forecast for the past stays what the plan counted on
      const int rc =
          db.run({"INSERT OR REPLACE INTO pv_forecast (start_ms, end_ms, pv_w, source, fetched_ms) "
                  "VALUES (?,?,?,?,?)",
                  {r.start_ms, r.end_ms, r.pv_w, r.source, r.fetched_ms}},
                 error);
      if (rc != SQLITE_DONE) throw StorageError(fmt::format("{}: pv_forecast: {}", db.path(), error));
    }
    db.exec("COMMIT");
  } catch (...) {
    db.exec("ROLLBACK");
    throw;
  }
}

std::vector<PvForecastRow> pv_forecast(Database& db, TimeMs from, TimeMs to) {
  std::vector<PvForecastRow> out;
  db.each({"SELECT start_ms, end_ms, pv_w, source, fetched_ms FROM pv_forecast WHERE start_ms >= ? AND "
           "start_ms < ? ORDER BY start_ms",
           {from, to}},
          [&](const Row& row) {
            out.push_back(
                {row.integer(0), row.integer(1), row.number(2).value_or(0), row.text(3), row.integer(4)});
          });
  return out;
}

}  // namespace hemd::storage
