// Plan cost against GLPK's MILP optimum (the same problem) and against greedy cheapest-slot picking (what
// evcc does: the cheapest quarter-hours at full power until the need is met, surplus ignored, one car after
// the other), on random days; and the planner's time. Prints figures; never fails on a number.
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <random>

#include "tests/integration/planner/reference_milp.h"

namespace {

using namespace hemd;
constexpr TimeMs q = hemd::test::quarter_ms;
using hemd::test::random_day;

// evcc-style: each car in turn takes the cheapest import quarters at its maximum power.
double greedy_cost(const std::vector<PlanSlot>& slots, const std::vector<CarNeed>& cars) {
  std::vector<std::vector<double>> e(cars.size(), std::vector<double>(slots.size(), 0.0));
  std::vector<double> room(slots.size());
  for (std::size_t t = 0; t < slots.size(); ++t) room[t] = slots[t].headroom_w * 0.25;
  for (std::size_t i = 0; i < cars.size(); ++i) {
    std::vector<std::size_t> order;
    for (std::size_t t = 0; t < slots.size(); ++t)
      if (slots[t].end <= cars[i].departure) order.push_back(t);
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
      return slots[a].import_dkk_per_kwh < slots[b].import_dkk_per_kwh;
    });
    double need = cars[i].energy_wh;
    for (std::size_t t : order) {
      const double take = std::min({need, cars[i].max_w * 0.25, room[t]});
      if (take < cars[i].min_w * 0.25 && take < need) continue;
      e[i][t] = take;
      room[t] -= take;
      need -= take;
      if (need <= 0) break;
    }
  }
  return plan_cost(slots, e);
}

}  // namespace

int main() {
  std::mt19937 rng(2026);
  std::uniform_real_distribution<double> u(0, 1);
  const std::string dir = std::filesystem::temp_directory_path() / "hemd-bench-planner";
  std::filesystem::create_directories(dir);
  fmt::print("bench_planner: cost vs GLPK MILP optimum and vs greedy cheapest slots (evcc-style)\n");
  fmt::print("{:<8}{:>6}{:>12}{:>12}{:>12}{:>10}{:>12}{:>10}\n", "cars", "slots", "hemd DKK", "GLPK DKK",
             "greedy DKK", "gap %", "greedy +%", "hemd ms");
  for (int cars_n : {1, 1, 1, 2, 2, 3, 3}) {
    const int n = cars_n == 1 ? 48 : 32;
    const auto slots = random_day(rng, n, cars_n == 1 ? 17250 : 11000);
    std::vector<CarNeed> cars;
    for (int i = 0; i < cars_n; ++i) {
      const bool one_phase = u(rng) < 0.3;
      cars.push_back({"car" + std::to_string(i), std::round(4000 + u(rng) * (one_phase ? 8000 : 20000)),
                      static_cast<TimeMs>((n / 2 + u(rng) * (n / 2)) * q), one_phase ? 1380.0 : 4140.0,
                      one_phase ? 3680.0 : 11040.0});
    }
    const auto t0 = std::chrono::steady_clock::now();
    const Plan p = plan_charging(slots, cars);
    const double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    const auto best = hemd::test::glpk_optimum(hemd::test::milp(slots, cars), dir);
    const double greedy = greedy_cost(slots, cars);
    fmt::print("{:<8}{:>6}{:>12.3f}{:>12}{:>12.3f}{:>10}{:>12.1f}{:>10.1f}\n", cars_n, n, p.cost_dkk,
               best ? fmt::format("{:.3f}", *best) : "n/a", greedy,
               best ? fmt::format("{:+.3f}", 100 * (p.cost_dkk - *best) / *best) : "n/a",
               100 * (greedy - p.cost_dkk) / p.cost_dkk, ms);
  }
  // A full day of quarter-hours with three cars: the size hemd plans at home.
  const auto slots = random_day(rng, 96, 17250);
  std::vector<CarNeed> cars = {
      {"a", 30000, 90 * q, 4140, 11040}, {"b", 20000, 80 * q, 4140, 11040}, {"c", 8000, 70 * q, 1380, 3680}};
  const auto t0 = std::chrono::steady_clock::now();
  const Plan p = plan_charging(slots, cars);
  fmt::print("96 quarter-hours, 3 cars: {:.3f} DKK in {:.0f} ms (LP lower bound {:.3f} DKK)\n", p.cost_dkk,
             std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count(),
             p.lower_bound_dkk);
  std::filesystem::remove_all(dir);
  return 0;
}
