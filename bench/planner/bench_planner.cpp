// The planner's time for the sizes hemd plans at (1 car x 192 quarter-hours, 20 cars x 192), its cost
// against the MILP optimum (COIN-OR CBC) of the same problem over many random instances, and against greedy
// cheapest-slot picking (what evcc does: the cheapest quarter-hours at full power until the need is met,
// surplus ignored, one car after the other). Prints figures; never fails on a number.
//
//   bench_planner [instances [first]]   (default 1000 from 0; each is also solved by cbc, up to 10 s;
//                                        HEMD_BENCH_OPTIMA=DIR keeps CBC's answers for the next run;
//                                        HEMD_BENCH_FLEETS=N also compares N whole days of 5 and 8 cars;
//                                        HEMD_BENCH_STARTS=1 instead prices the cars' starts, see below)
//
// Instance k is drawn from its own seed, so one that stands out can be run again alone:
// `bench_planner 1 k` (the timing part is skipped when `first` is given).
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <random>

#include <unistd.h>

#include "tests/integration/planner/reference_milp.h"

namespace {

using namespace hemd;

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

// How far above its own bound a plan is, as a fraction of its cost.
double own_gap(const Plan& p) {
  return (p.cost_dkk - p.lower_bound_dkk) / std::max(1.0, std::abs(p.cost_dkk));
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}
double max(const std::vector<double>& v) {
  return *std::max_element(v.begin(), v.end());
}

double ms_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

// The median time of planning `runs` random days of this size, and the widest proven gap; then the same
// for the plans their bound does not prove, searched deeper (as the daemon does, in the background).
void time_size(std::mt19937& rng, int cars_n, int n, double fuse_w, int runs) {
  std::vector<double> ms, proven, deeper_ms, deeper_proven;
  for (int run = 0; run < runs; ++run) {
    std::vector<PlanSlot> slots = test::random_day(rng, n, fuse_w);
    const auto cars = test::random_cars(rng, cars_n, n, n > 96 ? 1.5 : 1);
    auto t0 = std::chrono::steady_clock::now();
    const Plan p = plan_charging(slots, cars);
    ms.push_back(ms_since(t0));
    proven.push_back(own_gap(p));
    if (own_gap(p) <= PlanOptions{}.tolerance) continue;
    t0 = std::chrono::steady_clock::now();
    const Plan deeper = plan_charging_deeper(slots, cars);
    deeper_ms.push_back(ms_since(t0));
    deeper_proven.push_back(own_gap(deeper));
  }
  fmt::print(
      "{:>3} car(s) x {:>3} quarter-hours, {:>5.0f} W fuse: median {:>7.2f} ms, max {:>7.2f} ms over {} "
      "days; the plan's own bound proves the median plan within {:.3f} % of the optimum, the worst within "
      "{:.3f} %\n",
      cars_n, n, fuse_w, median(ms), max(ms), runs, 100 * median(proven), 100 * max(proven));
  if (!deeper_ms.empty())
    fmt::print(
        "    {} not proven within {:.2f} %, searched deeper: median {:.0f} ms, max {:.0f} ms in all; their "
        "bound proves the median within {:.3f} %, the worst within {:.3f} %\n",
        deeper_ms.size(), 100 * PlanOptions{}.tolerance, median(deeper_ms), max(deeper_ms),
        100 * median(deeper_proven), 100 * max(deeper_proven));
}

// CBC's optimum of instance k. With HEMD_BENCH_OPTIMA=DIR set, each is kept in DIR/k, so that a second
// run after a change to the planner compares against the same optima without solving them again.
std::optional<double> reference(int k, const test::Instance& x, const std::string& work_dir) {
  const char* keep = std::getenv("HEMD_BENCH_OPTIMA");
  const std::string kept = keep ? fmt::format("{}/{}", keep, k) : "";
  if (std::ifstream in(kept); keep && in) {
    std::string value;
    in >> value;
    return value == "none" ? std::nullopt : std::optional<double>(std::stod(value));
  }
  const auto best = test::milp_optimum(test::milp(x.slots, x.cars), work_dir, 10);
  if (keep) std::ofstream(kept) << (best ? fmt::format("{:.9f}", *best) : "none") << "\n";
  return best;
}

// Fleets of 5 and 8 cars over a whole day (25 kW of headroom, PV at noon) against CBC, which needs
// seconds to minutes for each and proves no optimum for some within 2 minutes: only with
// HEMD_BENCH_FLEETS=N (N days of each size). The plan is the one the daemon ends with: searched deeper
// where its bound does not prove it.
void compare_whole_days(int days, const std::string& dir) {
  for (const int cars_n : {5, 8}) {
    int compared = 0, above = 0;
    for (int day = 0; day < days; ++day) {
      const auto [slots, cars, sunny] = test::whole_day(cars_n, day);
      const Plan p = plan_charging_deeper(slots, cars);
      const auto best = test::milp_optimum(test::milp(slots, cars), dir, 120);
      if (!best) {
        fmt::print("{} cars, day {}: plan {:.4f} DKK, bound {:.4f}; CBC proved no optimum in 120 s\n", cars_n,
                   day, p.cost_dkk, p.lower_bound_dkk);
        continue;
      }
      const double gap = (p.cost_dkk - *best) / std::max(1.0, std::abs(*best));
      ++compared;
      above += gap > 0.001;
      fmt::print("{} cars, day {}: plan {:.4f} DKK, bound {:.4f}, optimum {:.4f}: {:+.3f} %\n", cars_n, day,
                 p.cost_dkk, p.lower_bound_dkk, *best, 100 * gap);
    }
    fmt::print("{} cars x 96 quarter-hours: {} of {} compared days above 0.1 %\n", cars_n, above, compared);
  }
}

}  // namespace

// What pricing starts (control.start_penalty_dkk at its default) does to random days of each size: the
// cars' starts, the energy's cost and the planning time, against the same days with every start free.
void price_starts(std::mt19937& rng, int cars_n, int n, double fuse_w, int runs) {
  PlanOptions priced;
  priced.start_penalty_dkk = 0.5;  // config::Control's default
  int free_starts = 0, starts = 0, most = 0;
  double free_dkk = 0, priced_dkk = 0, worst = 0, worst_dkk = 0;
  std::vector<double> free_ms, priced_ms;
  for (int run = 0; run < runs; ++run) {
    const auto slots = test::random_day(rng, n, fuse_w);
    const auto cars = test::random_cars(rng, cars_n, n, n > 96 ? 1.5 : 1);
    auto t0 = std::chrono::steady_clock::now();
    const Plan f = plan_charging(slots, cars);
    free_ms.push_back(ms_since(t0));
    t0 = std::chrono::steady_clock::now();
    const Plan p = plan_charging(slots, cars, priced);
    priced_ms.push_back(ms_since(t0));
    for (std::size_t i = 0; i < cars.size(); ++i) {
      free_starts += f.cars[i].starts;
      starts += p.cars[i].starts;
      most = std::max(most, p.cars[i].starts);
    }
    free_dkk += f.cost_dkk;
    priced_dkk += p.cost_dkk;
    if (const double w = (p.cost_dkk - f.cost_dkk) / std::max(1.0, std::abs(f.cost_dkk)); w > worst)
      worst = w, worst_dkk = p.cost_dkk - f.cost_dkk;
  }
  fmt::print(
      "{:>3} car(s) x {:>3} quarter-hours, {:>5.0f} W fuse, {} days: {} starts free, {} at 0.50 DKK (at most "
      "{} for a car); energy {:+.2f} DKK ({:+.3f} %, {:.3f} DKK a start saved), the worst day {:+.3f} % "
      "({:+.2f} DKK); "
      "planning median {:.1f} / max {:.1f} ms free, {:.1f} / {:.1f} ms priced\n",
      cars_n, n, fuse_w, runs, free_starts, starts, most, priced_dkk - free_dkk,
      100 * (priced_dkk / free_dkk - 1), (priced_dkk - free_dkk) / std::max(1, free_starts - starts),
      100 * worst, worst_dkk, median(free_ms), max(free_ms), median(priced_ms), max(priced_ms));
}

int main(int argc, char** argv) {
  const int instances = argc > 1 ? std::max(1, std::atoi(argv[1])) : 1000;
  const int first = argc > 2 ? std::max(0, std::atoi(argv[2])) : 0;
  if (std::getenv("HEMD_BENCH_STARTS")) {
    std::mt19937 rng(2026);
    fmt::print("bench_planner: starts priced at 0.50 DKK against free (one core)\n");
    price_starts(rng, 1, 192, 17250, 50);
    price_starts(rng, 3, 96, 17250, 20);
    price_starts(rng, 5, 96, 25000, 10);
    price_starts(rng, 8, 96, 25000, 10);
    price_starts(rng, 8, 144, 25000, 8);
    price_starts(rng, 20, 192, 43000, 10);
    return 0;
  }
  if (argc <= 2) {
    std::mt19937 rng(2026);
    fmt::print("bench_planner: planning time (one core)\n");
    time_size(rng, 1, 192, 17250, 50);
    time_size(rng, 3, 96, 17250, 20);
    time_size(rng, 20, 192, 43000, 10);  // a housing association: 20 cars on a 63 A supply
    time_size(rng, 5, 96, 25000, 10);    // small fleets in between: the budget scales with the flow's size
    time_size(rng, 8, 96, 25000, 10);
    time_size(rng, 5, 144, 25000, 8);  // a day and a half: as far as day-ahead prices reach
    time_size(rng, 8, 144, 25000, 8);
  }

  fmt::print(
      "\nbench_planner: cost against the MILP optimum (COIN-OR CBC) over {} random instances from #{}\n",
      instances, first);
  const std::string dir =
      std::filesystem::temp_directory_path() / fmt::format("hemd-bench-planner-{}", ::getpid());
  std::filesystem::create_directories(dir);
  std::vector<double> gaps, deeper_gaps;  // the first plan's; the deeper search's where that is unproven
  int unproven = 0, short_of_need = 0;
  double greedy_extra = 0;
  int proven = 0, planned = 0;
  std::vector<double> plan_ms;  // plans whose own bound shows them within 0.1 % of the optimum
  const auto t0 = std::chrono::steady_clock::now();
  for (int k = first; k < first + instances; ++k) {
    const test::Instance x = test::bench_instance(k);
    const auto& [slots, cars, sunny] = x;
    const auto planning = std::chrono::steady_clock::now();
    const Plan p = plan_charging(slots, cars);
    plan_ms.push_back(ms_since(planning));
    double short_wh = 0;
    for (const auto& c : p.cars) short_wh += c.shortfall_wh;
    ++planned;
    if (p.cost_dkk - p.lower_bound_dkk <= 0.001 * std::max(1.0, std::abs(p.cost_dkk))) ++proven;
    if (short_wh > 1) {  // the reference asks for the whole need
      ++short_of_need;
      continue;
    }
    const auto best = reference(k, x, dir);
    if (!best) {
      ++unproven;
      continue;
    }
    const double gap = (p.cost_dkk - *best) / std::max(1.0, std::abs(*best));
    gaps.push_back(gap);
    if (own_gap(p) > PlanOptions{}.tolerance) {
      const Plan deeper = plan_charging_deeper(slots, cars);
      deeper_gaps.push_back((deeper.cost_dkk - *best) / std::max(1.0, std::abs(*best)));
      fmt::print("#{}: not proven by its bound ({:+.3f} % above the optimum); searched deeper: {:+.3f} %\n",
                 k, 100 * gap, 100 * deeper_gaps.back());
    }
    greedy_extra += (greedy_cost(slots, cars) - p.cost_dkk) / std::max(1.0, std::abs(p.cost_dkk));
    if (gap > 0.001)
      fmt::print("#{}: {} car(s) x {} quarter-hours ({}): plan {:.4f} DKK, optimum {:.4f} DKK, {:+.3f} %\n",
                 k, cars.size(), slots.size(), sunny ? "sunny" : "night", p.cost_dkk, *best, 100 * gap);
  }
  if (const char* whole_days = std::getenv("HEMD_BENCH_FLEETS"))
    compare_whole_days(std::max(1, std::atoi(whole_days)), dir);
  std::filesystem::remove_all(dir);
  std::sort(gaps.begin(), gaps.end());
  std::sort(plan_ms.begin(), plan_ms.end());
  fmt::print("planning these instances took median {:.2f} ms, p99 {:.2f} ms, max {:.2f} ms\n",
             plan_ms[plan_ms.size() / 2], plan_ms[plan_ms.size() * 99 / 100], plan_ms.back());
  fmt::print("the plan's own bound proves it within 0.1 % of the optimum for {} of {} instances\n", proven,
             planned);
  if (gaps.empty()) {
    fmt::print("no instance compared\n");
    return 0;
  }
  double mean = 0;
  for (double g : gaps) mean += g;
  mean /= static_cast<double>(gaps.size());
  const auto above = std::count_if(gaps.begin(), gaps.end(), [](double g) { return g > 0.001; });
  fmt::print(
      "compared {} ({} not, CBC proved no optimum in 10 s; {} not, the need could not be met) in {:.0f} s\n",
      gaps.size(), unproven, short_of_need, ms_since(t0) / 1000);
  fmt::print("gap to the optimum: mean {:+.4f} %, p99 {:+.4f} %, max {:+.4f} %, above 0.1 %: {} of {}\n",
             100 * mean, 100 * gaps[gaps.size() * 99 / 100], 100 * gaps.back(), above, gaps.size());
  if (!deeper_gaps.empty())
    fmt::print("the {} plans searched deeper: max {:+.4f} % above the optimum, above 0.1 %: {}\n",
               deeper_gaps.size(), 100 * max(deeper_gaps),
               std::count_if(deeper_gaps.begin(), deeper_gaps.end(), [](double g) { return g > 0.001; }));
  fmt::print("greedy cheapest slots (evcc-style) cost {:.1f} % more on average\n",
             100 * greedy_extra / static_cast<double>(gaps.size()));
  return 0;
}
