#pragma once
// What the homeowner changes at run time (from Home Assistant): each charger's mode, maximum current,
// departure time and target, and the home battery's priority and buffer SoC. Kept in SQLite's settings
// table, so a restart keeps them, and laid over the config's values in every snapshot (the battery's in
// every cycle's control parameters).
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "config/config.h"
#include "daemon/ports.h"
#include "drivers/storage/database.h"
#include "drivers/storage/recorder.h"
#include "strategies/control.h"

namespace hemd {

struct ChargerSettings {
  std::optional<ChargeMode> mode;
  std::optional<double> max_current_a;
  std::optional<std::string> departure;  // "HH:MM", Danish time
  std::optional<double> target_energy_kwh;
  std::optional<double> target_soc_pct;
  // "Start charging now" lasts one session: the mode it replaced (nullopt: the config's) comes back when the
  // car that charged leaves. Kept in memory only: after a restart the mode stays `now`, as set.
  bool until_session_end = false;
  bool car_seen = false;  // the car was connected since the button was pressed
  std::optional<ChargeMode> mode_after_session;
};

// One validated change: what = mode | max_current | departure | target_energy | target_soc | start (mode
// `now` until the session ends); with no charger id, what = priority_soc | buffer_soc (the home battery's).
struct SettingChange {
  std::string charger_id;
  std::string what;
  std::string text;
  double number = 0;
};

class RuntimeSettings final : public SiteInput {
 public:
  // Reads what was stored for the configured chargers.
  RuntimeSettings(const config::Config& cfg, storage::Database& db, storage::Recorder& recorder);
  void change(const SettingChange& c);  // from any thread; stored at once
  ChargerSettings get(const std::string& charger_id) const;
  // The battery's rules in force: the config's, or what was set at run time.
  BatteryParams battery() const;
  void tune(ControlParams& p) const;
  void fill(SiteSnapshot& snapshot) override;  // also ends "start charging now" with its session

 private:
  storage::Recorder& recorder_;
  mutable std::mutex mutex_;
  std::map<std::string, ChargerSettings> chargers_;
  BatteryParams battery_;
};

// The next time the wall clock shows `hhmm` in Denmark, strictly after `now`.
std::optional<TimeMs> next_departure(const std::string& hhmm, TimeMs now);

}  // namespace hemd
