#pragma once
// One control cycle, wired: inputs -> immutable snapshot -> strategies -> outputs -> history.
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "config/config.h"
#include "daemon/ports.h"
#include "drivers/storage/recorder.h"
#include "strategies/control.h"
#include "strategies/plausibility.h"

namespace hemd {

class App {
 public:
  // Opens the database named by the config; throws storage::StorageError with the file name.
  explicit App(config::Config cfg);

  void add_input(SiteInput& in) { inputs_.push_back(&in); }
  void add_output(ChargerOutput& out) { outputs_.push_back(&out); }
  void add_observer(Observer& o) { observers_.push_back(&o); }

  // Runs one cycle at `now` and returns what was decided.
  const Decision& cycle(TimeMs now);
  // Hands a validated config over from another thread; it takes effect at the start of the next cycle.
  void stage(config::Config cfg);
  // Leaves every charger at its safe current and commits the history; the last thing before exit.
  void shutdown();
  // Laid over the config's control parameters in every cycle: what the homeowner changed at run time.
  void tune(std::function<void(ControlParams&)> f) { tune_ = std::move(f); }
  // The snapshot's clock runs this many times faster than the meters' (the demo's --speed).
  void set_time_scale(double scale) { time_scale_ = scale; }

  const SiteSnapshot& snapshot() const { return snapshot_; }
  const Decision& decision() const { return decision_; }
  const config::Config& config() const { return cfg_; }
  storage::Recorder& recorder() { return *recorder_; }
  std::string status_line() const;

 private:
  SiteSnapshot build_snapshot(TimeMs now) const;
  // Runs one driver's part of the cycle; what it throws is logged (once until it changes) and dropped.
  void guarded(const void* part, const char* kind, const std::function<void()>& work) const;
  // Marks readings no site can produce, and a grid meter that stopped moving, as untrusted; logs each
  // episode.
  void vet(SiteSnapshot& s);
  void apply_staged();
  void record(const SiteSnapshot& s, const Decision& d);

  config::Config cfg_;
  std::unique_ptr<storage::Recorder> recorder_;
  std::vector<SiteInput*> inputs_;
  std::vector<ChargerOutput*> outputs_;
  std::vector<Observer*> observers_;
  std::function<void(ControlParams&)> tune_;
  ControlState control_state_;
  VetState vet_state_;
  mutable std::map<const void*, std::string> failures_;  // per driver adapter: what it last threw
  double time_scale_ = 1;
  SiteSnapshot snapshot_;
  Decision decision_;
  std::map<std::string, std::string> last_reason_;
  std::mutex staged_mutex_;
  std::optional<config::Config> staged_;
  struct Average {
    TimeMs since = 0;
    int n = 0;
    double pv = 0, grid = 0, house = 0;
    std::array<double, 3> phase{};
  } average_;
};

ControlParams control_params(const config::Config& cfg);

}  // namespace hemd
