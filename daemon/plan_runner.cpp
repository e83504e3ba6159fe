#include "daemon/plan_runner.h"

#include <fmt/format.h>

#include <chrono>

#include <nlohmann/json.hpp>

#include "drivers/log/log.h"
#include "drivers/prices/local_time.h"
#include "drivers/storage/tables.h"

namespace hemd {

namespace {
constexpr TimeMs replan_every_ms = 5 * 60'000;
// The deeper searches of a fleet whose bound proves little (more than eight cars) can take minutes on a
// Raspberry Pi; this much of them keeps the planner from holding a core between the re-plans.
constexpr auto deeper_search_for = std::chrono::seconds(60);
}  // namespace

PlanRunner::PlanRunner(double fuse_margin_a, storage::Recorder& recorder, PlanOptions options)
    : planner_(fuse_margin_a, std::move(options)), recorder_(recorder) {}

PlanRunner::~PlanRunner() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void PlanRunner::start() {
  thread_ = std::thread([this] { run(); });
}

std::string PlanRunner::signature(const SiteSnapshot& s) {
  std::string sig = fmt::format("{}:", s.prices.empty() ? 0 : s.prices.back().end);
  for (const auto& c : s.chargers)
    sig += fmt::format("{}|{}|{}|{}|{:.0f};", c.id, static_cast<int>(c.mode), c.car_connected,
                       c.departure.value_or(0),
                       c.energy_need_wh.value_or(0) / 500);  // a need that moves by charging is not a change
  return sig;
}

void PlanRunner::replan() {
  std::lock_guard<std::mutex> lock(mutex_);
  last_signature_.clear();
}

void PlanRunner::observe(const SiteSnapshot& snapshot, const Decision&) {
  bool any_smart = false;
  for (const auto& c : snapshot.chargers) any_smart |= c.mode == ChargeMode::smart;
  if (!any_smart) return;
  const std::string sig = signature(snapshot);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (sig == last_signature_ && snapshot.now - last_planned_ < replan_every_ms &&
        snapshot.now >= last_planned_)
      return;
    const bool changed = sig != last_signature_ || (pending_ && pending_->changed);
    last_signature_ = sig;
    last_planned_ = snapshot.now;
    pending_ = Job{snapshot, changed};
  }
  wake_.notify_all();
}

void PlanRunner::plan_now(const SiteSnapshot& snapshot, bool changed) {
  const auto request = std::make_shared<const PlanRequest>(planner_.request(snapshot));
  bool first_done = false;
  // The first plan is always finished; a deeper search gives way to a newer job, and any search to a stop.
  const auto deadline = std::chrono::steady_clock::now() + deeper_search_for;
  auto stop = [&] {
    std::lock_guard<std::mutex> lock(mutex_);
    return stopping_ || (first_done && (pending_ || std::chrono::steady_clock::now() > deadline));
  };
  // A change is answered at once and each cheaper plan used as found. A periodic re-plan of the same need
  // publishes only its cheapest: its first plan may be dearer than the deeper one in use, and publishing it
  // would move the chargers' limits away and back within seconds.
  std::optional<Plan> cheapest;
  planner_.plan(
      *request,
      [&](const Plan& plan) {
        if (changed) publish(request, plan, snapshot.now, first_done);
        if (!changed) cheapest = plan;
        first_done = true;
      },
      stop);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_) return;
  }
  if (cheapest) publish(request, *cheapest, snapshot.now, false);
}

void PlanRunner::publish(std::shared_ptr<const PlanRequest> request, const Plan& plan, TimeMs now,
                         bool deeper) {
  for (const auto& car : plan.cars) {
    const auto* need = [&]() -> const CarNeed* {
      for (const auto& c : request->cars)
        if (c.id == car.id) return &c;
      return nullptr;
    }();
    log::info("plan{}: {}: {:.1f} kWh by {} for {:.2f} DKK{}", deeper ? " (a deeper search's, cheaper)" : "",
              car.id, car.planned_wh / 1000, need ? prices::hhmm(need->departure) : "?", car.cost_dkk,
              car.shortfall_wh > 1 ? fmt::format(", {:.1f} kWh short", car.shortfall_wh / 1000) : "");
    nlohmann::json schedule = nlohmann::json::array();
    for (std::size_t t = 0; t < car.energy_wh.size(); ++t)
      if (car.energy_wh[t] > 0)
        schedule.push_back({{"start_ms", request->slots[t].start},
                            {"end_ms", request->slots[t].end},
                            {"energy_wh", std::round(car.energy_wh[t])}});
    storage::record(recorder_, storage::Plan{car.id, now, need ? need->departure : TimeMs{0},
                                             need ? need->energy_wh : 0.0, car.cost_dkk, schedule.dump()});
  }
  auto next = std::make_shared<Current>(Current{std::move(request), plan});
  std::lock_guard<std::mutex> lock(mutex_);
  current_ = std::move(next);
}

void PlanRunner::run() {
  for (;;) {
    std::optional<Job> job;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || pending_; });
      if (stopping_) return;
      job.swap(pending_);
    }
    try {
      plan_now(job->snapshot, job->changed);
    } catch (const std::exception& e) {
      // The last plan stays in force; the next change or the periodic re-plan tries again.
      log::error("plan: planning failed: {}; the last plan stays in force", log::quoted(e.what()));
    }
  }
}

void PlanRunner::fill(SiteSnapshot& s) {
  std::shared_ptr<const Current> cur;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    cur = current_;
  }
  if (!cur) return;
  ChargingPlanner::apply(*cur->request, cur->plan, s);
}

}  // namespace hemd
