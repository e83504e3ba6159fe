#pragma once
// The planner as the daemon (and the simulation) sees it: what a snapshot asks to plan, the cheapest plan
// found for it, and that plan laid back into a snapshot. How the plan is found is strategies/planner.h's
// business; the method and its figures against CBC are in docs/planner.md.
#include <functional>
#include <optional>
#include <utility>

#include "strategies/planner.h"

namespace hemd {

class ChargingPlanner {
 public:
  // `fuse_margin_a` is kept free on every phase (control.fuse_margin_a).
  explicit ChargingPlanner(double fuse_margin_a, PlanOptions options = {})
      : fuse_margin_a_(fuse_margin_a), options_(std::move(options)) {}

  // What `site` asks to plan: its smart-mode cars with a departure and a need, over the known prices.
  PlanRequest request(const SiteSnapshot& site) const { return plan_request(site, fuse_margin_a_); }

  // The cheapest plan found: searched deeper while its bound does not prove it, each cheaper plan handed to
  // `cheaper` as soon as it is found. `stop` is asked now and then; once it says yes the search returns
  // what it has.
  Plan plan(const PlanRequest& request, const std::function<void(const Plan&)>& cheaper = {},
            std::function<bool()> stop = {}) const {
    PlanOptions options = options_;
    if (stop) options.stop_requested = std::move(stop);
    return plan_charging_deeper(request.slots, request.cars, options, cheaper);
  }

  // The plan into the snapshot: each smart-mode charger's power now, its next start and a summary.
  static void apply(const PlanRequest& request, const Plan& plan, SiteSnapshot& site) {
    apply_plan(request, plan, site);
  }

  // What a car still needs: from its SoC when the owner set a target SoC and the battery is known, otherwise
  // the energy target less what the session has taken.
  static std::optional<double> need_wh(const ChargerState& c) { return energy_need_wh(c); }

 private:
  double fuse_margin_a_;
  PlanOptions options_;
};

}  // namespace hemd
