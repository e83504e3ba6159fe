#pragma once
// Random planning days, and the planning problem written as a MILP in CPLEX LP format and solved by
// COIN-OR CBC: the reference the planner is measured against (tests and bench only).
#include <fmt/format.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <optional>
#include <random>
#include <sstream>
#include <string>

#include "strategies/planner.h"

namespace hemd::test {

inline constexpr TimeMs quarter_ms = 900'000;

// A day of quarter-hours: a spot price walk, PV surplus around noon, house load taking fuse headroom.
inline std::vector<PlanSlot> random_day(std::mt19937& rng, int n = 96, double fuse_w = 17250) {
  std::uniform_real_distribution<double> u(0, 1);
  std::vector<PlanSlot> slots;
  double spot = 0.3 + u(rng);
  for (int t = 0; t < n; ++t) {
    spot = std::max(-0.2, spot + (u(rng) - 0.5) * 0.15);
    const double hour = (t % 96) / 4.0;
    const double sun = std::max(0.0, std::sin((hour - 6) / 12 * 3.14159)) * 8000 * (0.5 + 0.5 * u(rng));
    const double house = 300 + 700 * u(rng);
    slots.push_back({t * quarter_ms, (t + 1) * quarter_ms,
                     (spot + 0.1 + 0.3 * (hour >= 17 && hour < 21) + 0.8) * 1.25, spot,
                     std::max(0.0, sun - house), fuse_w - house});
  }
  return slots;
}

// `count` quarter-hours of a random day from quarter `from` on (the sun is up from about 24 to 72),
// renumbered to start at 0.
inline std::vector<PlanSlot> random_hours(std::mt19937& rng, int from, int count, double fuse_w = 17250) {
  auto day = random_day(rng, 96, fuse_w);
  std::vector<PlanSlot> slots(day.begin() + from, day.begin() + from + count);
  for (auto& s : slots) s.start -= from * quarter_ms, s.end -= from * quarter_ms;
  return slots;
}

// Cars of a random fleet: 3-phase (4.1 to 11 kW) or 1-phase (1.4 to 3.7 kW), leaving in the second half.
inline std::vector<CarNeed> random_cars(std::mt19937& rng, int count, int n, double scale = 1) {
  std::uniform_real_distribution<double> u(0, 1);
  std::vector<CarNeed> cars;
  for (int i = 0; i < count; ++i) {
    const bool one_phase = u(rng) < 0.3;
    cars.push_back({"car" + std::to_string(i),
                    std::round((4000 + u(rng) * (one_phase ? 8000 : 20000)) * scale),
                    static_cast<TimeMs>((n / 2 + u(rng) * (n / 2)) * quarter_ms), one_phase ? 1380.0 : 4140.0,
                    one_phase ? 3680.0 : 11040.0});
  }
  return cars;
}

// bench_planner's instance k: 1 to 3 cars; a night with a tight fuse, or daylight hours with surplus below
// the cars' minimum. Each is drawn from its own seed, so that one can be planned again alone.
struct Instance {
  std::vector<PlanSlot> slots;
  std::vector<CarNeed> cars;
  bool sunny;
};
inline Instance bench_instance(int k) {
  std::mt19937 rng(static_cast<std::mt19937::result_type>(2026 + k));
  std::uniform_real_distribution<double> u(0, 1);
  const int cars_n = 1 + k % 3;
  const int n = 16 + static_cast<int>(u(rng) * 17);
  const bool sunny = u(rng) < 0.5;
  auto slots = sunny ? random_hours(rng, 28 + static_cast<int>(u(rng) * 12), n, 17250)
                     : random_day(rng, n, cars_n == 1 ? 17250 : 11000);
  auto cars = random_cars(rng, cars_n, n);
  return {std::move(slots), std::move(cars), sunny};
}

// bench_planner's whole day `day` (from 0) for a fleet of `cars_n`: 96 quarter-hours with PV at noon and
// 25 kW of headroom.
inline Instance whole_day(int cars_n, int day) {
  std::mt19937 rng(2026);
  Instance x{{}, {}, true};
  for (int d = 0; d <= day; ++d) {
    x.slots = random_day(rng, 96, 25000);
    x.cars = random_cars(rng, cars_n, 96);
  }
  return x;
}

// bench_planner's 3-car day `day` (from 0) under a 17.25 kW fuse, drawn as its timing part draws them: after
// 50 one-car days.
inline Instance bench_three_car_day(int day) {
  std::mt19937 rng(2026);
  for (int d = 0; d < 50; ++d) {
    random_day(rng, 192, 17250);
    random_cars(rng, 1, 192, 1.5);
  }
  Instance x{{}, {}, true};
  for (int d = 0; d <= day; ++d) {
    x.slots = random_day(rng, 96, 17250);
    x.cars = random_cars(rng, 3, 96);
  }
  return x;
}

inline std::string milp(const std::vector<PlanSlot>& slots, const std::vector<CarNeed>& cars) {
  std::ostringstream obj, rows, bounds, binaries;
  for (std::size_t t = 0; t < slots.size(); ++t) {
    const auto& s = slots[t];
    const double h = (s.end - s.start) / 3.6e6;
    const double surplus = std::min(std::max(0.0, s.surplus_w), std::max(0.0, s.headroom_w)) * h;
    const double grid = std::max(0.0, s.headroom_w - std::max(0.0, s.surplus_w)) * h;
    // LP format wants the sign apart from the number: "- 0.0002 s3", not "+ -0.0002 s3".
    auto term = [](double c, const std::string& var) {
      return fmt::format(" {} {:.12f} {}", c < 0 ? '-' : '+', std::abs(c), var);
    };
    obj << term(s.export_dkk_per_kwh / 1000, fmt::format("s{}", t))
        << term(s.import_dkk_per_kwh / 1000, fmt::format("g{}", t)) << "\n";
    rows << fmt::format(" bal{}: s{} + g{}", t, t, t);
    for (std::size_t i = 0; i < cars.size(); ++i) rows << fmt::format(" - e{}_{}", i, t);
    rows << " = 0\n";
    bounds << fmt::format(" 0 <= s{} <= {:.6f}\n 0 <= g{} <= {:.6f}\n", t, surplus, t, grid);
  }
  for (std::size_t i = 0; i < cars.size(); ++i) {
    rows << fmt::format(" need{}:", i);
    for (std::size_t t = 0; t < slots.size(); ++t) rows << fmt::format(" + e{}_{}", i, t);
    rows << fmt::format(" >= {:.6f}\n", cars[i].energy_wh);
    // More than the need only as far as a minimum forces it (the planner's rule: a full battery takes no
    // more, however cheap the energy).
    double largest_min = 0;
    for (const auto& s : slots) {
      const double h = std::max(0.0, (std::min(s.end, cars[i].departure) - s.start) / 3.6e6);
      if (h > 0) largest_min = std::max(largest_min, cars[i].min_w * h);
    }
    rows << fmt::format(" most{}:", i);
    for (std::size_t t = 0; t < slots.size(); ++t) rows << fmt::format(" + e{}_{}", i, t);
    rows << fmt::format(" <= {:.6f}\n", cars[i].energy_wh + largest_min);
    for (std::size_t t = 0; t < slots.size(); ++t) {
      const auto& s = slots[t];
      const double h = std::max(0.0, (std::min(s.end, cars[i].departure) - s.start) / 3.6e6);
      rows << fmt::format(" lo{0}_{1}: e{0}_{1} - {2:.6f} y{0}_{1} >= 0\n", i, t, cars[i].min_w * h);
      rows << fmt::format(" hi{0}_{1}: e{0}_{1} - {2:.6f} y{0}_{1} <= 0\n", i, t, cars[i].max_w * h);
      binaries << fmt::format(" y{}_{}\n", i, t);
    }
  }
  return "Minimize\n obj:" + obj.str() + "Subject To\n" + rows.str() + "Bounds\n" + bounds.str() +
         "Binary\n" + binaries.str() + "End\n";
}

// The MILP optimum in DKK from COIN-OR CBC, or nullopt when it proves none within `seconds`. (GLPK was the
// first reference; it ran out of time on some fleets of three cars and a few hours that CBC proves in 0.1 s.)
inline std::optional<double> milp_optimum(const std::string& lp_text, const std::string& dir,
                                          int seconds = 60) {
  const std::string lp = dir + "/plan.lp", solution = dir + "/plan.sol";
  std::ofstream(lp) << lp_text;
  std::remove(solution.c_str());
  const std::string cmd =
      fmt::format("cbc {} sec {} solve solu {} > {}/cbc.log 2>&1", lp, seconds, solution, dir);
  if (std::system(cmd.c_str()) != 0) return std::nullopt;
  // The first line says how it ended: "Optimal - objective value 41.88393810"; a run out of time says
  // "Stopped on time", which is no reference.
  std::ifstream in(solution);
  std::string line;
  const std::string optimal = "Optimal - objective value ";
  if (!std::getline(in, line) || line.rfind(optimal, 0) != 0) return std::nullopt;
  return std::stod(line.substr(optimal.size()));
}

}  // namespace hemd::test
