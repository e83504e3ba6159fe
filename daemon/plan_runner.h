#pragma once
// Plans smart-mode charging beside the control loop: a plan over a day of quarter-hours and several cars can
// take longer than a cycle, so it runs in its own thread on a copy of the latest snapshot, and every cycle
// reads the latest plan (power now, next start) into the snapshot. Re-plans when the cars' needs,
// departures, modes or the prices change, and every few minutes as measurements move. A plan that its
// bound does not prove is searched deeper (plan_charging_deeper) until a newer job comes (see plan_now for
// when each cheaper plan is used).
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "daemon/ports.h"
#include "drivers/storage/recorder.h"
#include "strategies/charging_planner.h"

namespace hemd {

class PlanRunner final : public SiteInput, public Observer {
 public:
  // `options`: what a start costs and the shortest block (control.start_penalty_dkk, min_charge_block_min).
  PlanRunner(double fuse_margin_a, storage::Recorder& recorder, PlanOptions options = {});
  ~PlanRunner() override;
  void start();
  void fill(SiteSnapshot& snapshot) override;
  void observe(const SiteSnapshot& snapshot, const Decision& decision) override;

  // The next cycle's snapshot is planned whatever changed (the re-plan button).
  void replan();
  // One plan now, in the caller's thread; `changed`: the need, the prices or the cars changed since the last.
  void plan_now(const SiteSnapshot& snapshot, bool changed = true);

 private:
  static std::string signature(const SiteSnapshot& s);
  void run();
  void publish(std::shared_ptr<const PlanRequest> request, const Plan& plan, TimeMs now, bool deeper);

  ChargingPlanner planner_;
  storage::Recorder& recorder_;
  std::mutex mutex_;
  std::condition_variable wake_;
  struct Job {
    SiteSnapshot snapshot;
    bool changed;  // not only the periodic re-plan
  };
  std::optional<Job> pending_;
  bool stopping_ = false;
  std::string last_signature_;
  TimeMs last_planned_ = 0;
  struct Current {
    std::shared_ptr<const PlanRequest> request;  // shared by the plans a deeper search improves on
    Plan plan;
  };
  std::shared_ptr<const Current> current_;
  std::thread thread_;
};

}  // namespace hemd
