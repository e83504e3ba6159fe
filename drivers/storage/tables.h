#pragma once
// Each table's rows as plain C++ values, what records them and what reads them back: the SQL for these tables
// lives in tables.cpp and nowhere else (the shapes themselves are in schema.h; prices and tariffs belong to
// drivers/prices/cache). Records go through the Recorder, so the caller never waits for the disk.
#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "drivers/storage/database.h"
#include "drivers/storage/recorder.h"

namespace hemd::storage {

using TimeMs = std::int64_t;  // milliseconds since the Unix epoch, UTC

// site_measurements: the site averaged over storage.measurement_interval_s. A column is empty when the value
// was not a number.
struct SiteMeasurement {
  TimeMs at_ms = 0;
  std::optional<double> pv_w, grid_w, house_w;
  std::array<std::optional<double>, 3> grid_a{};
};
void record(Recorder& r, const SiteMeasurement& m);
// The rows of [from, to), oldest first.
std::vector<SiteMeasurement> site_measurements(Database& db, TimeMs from, TimeMs to);

// charger_measurements: each charger at the end of a measurement interval.
struct ChargerMeasurement {
  TimeMs at_ms = 0;
  std::string charger_id;
  double limit_a = 0;
  double power_w = 0;
  double energy_wh = 0;  // this session so far
};
void record(Recorder& r, const ChargerMeasurement& m);

// events: what hemd decided and why, as journald would show it (level is a syslog priority).
struct Event {
  TimeMs at_ms = 0;
  int level = 6;
  std::string source;
  std::string message;
};
void record(Recorder& r, const Event& e);

// sessions: a charging session from the charger's start to its stop.
struct SessionStart {
  std::string charger_id;
  std::string transaction_id;
  std::string id_tag;
  TimeMs at_ms = 0;
  double meter_wh = 0;
};
struct SessionStop {
  std::string charger_id;
  std::string transaction_id;
  std::string id_tag;  // a token learnt only at the end (OCPP 2.0.1) replaces an empty one
  TimeMs at_ms = 0;
  double meter_wh = 0;
  std::string reason;
};
void record(Recorder& r, const SessionStart& s);
void record(Recorder& r, const SessionStop& s);
struct ChargedSession {
  std::string charger_id;
  TimeMs started_ms = 0;
  double energy_wh = 0;
};
// Sessions that started in [from, to) and have ended, oldest first.
std::vector<ChargedSession> charged_sessions(Database& db, TimeMs from, TimeMs to);

// plans: every plan made for a car, with its schedule as JSON.
struct Plan {
  std::string charger_id;
  TimeMs created_ms = 0;
  TimeMs departure_ms = 0;
  double need_wh = 0;
  double cost_dkk = 0;
  std::string schedule_json;
};
void record(Recorder& r, const Plan& p);

// settings: run-time choices that survive a restart, by key ("charger.<id>.mode").
struct Setting {
  std::string key;
  std::string value;
  // A list kept as one setting: its items joined by commas (items hold no comma).
  static Setting list(std::string key, const std::vector<std::string>& items);
};
void record(Recorder& r, const Setting& s);
std::optional<std::string> setting(Database& db, const std::string& key);
std::vector<std::string> list_setting(Database& db, const std::string& key);

// charger_knowledge: what a charger taught hemd about itself (a refused profile kind...), by charger and key.
struct LearntFact {
  std::string charger_id;
  std::string key;
  std::string value;
};
void record(Recorder& r, const LearntFact& f);
using ChargerKnowledge =
    std::map<std::string, std::map<std::string, std::string>>;  // charger -> key -> value
ChargerKnowledge charger_knowledge(Database& db);

// pv_forecast: the PV forecast per interval. Storing a fetch replaces the intervals still to come and keeps
// the past ones as they were forecast before they began.
struct PvForecastRow {
  TimeMs start_ms = 0;
  TimeMs end_ms = 0;
  double pv_w = 0;
  std::string source;
  TimeMs fetched_ms = 0;
};
void store_pv_forecast(Database& db, const std::vector<PvForecastRow>& rows, TimeMs now);
// The rows that begin in [from, to), oldest first.
std::vector<PvForecastRow> pv_forecast(Database& db, TimeMs from, TimeMs to);

}  // namespace hemd::storage
