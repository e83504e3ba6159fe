// 1-phase/3-phase switching: a small surplus charges on one phase, a large one on three, and the switch
// waits for the surplus to last and for the contactors to rest.
#include <gtest/gtest.h>

#include "strategies/control.h"
#include "tests/unit/strategies/site_builder.h"

namespace hemd {
namespace {

using test::charger;
using test::site;

constexpr TimeMs t0 = 1'790'000'000'000;

// A car that draws what it was last told, on the phases it was told.
struct Car {
  ChargerState c;
  ChargerCommand last{"a", 0, 3, ""};
  explicit Car(ChargeMode mode, bool switching = true) : c(charger("a", mode)) {
    c.phase_switching = switching;
  }
  Decision step(ControlState& st, TimeMs t, double pv_w, const ControlParams& p = {}) {
    ChargerState now = c;
    now.current_a = {};
    for (int k = 0; k < last.phases; ++k) now.current_a[k] = last.limit_a;
    now.power_w = last.limit_a * 230 * last.phases;
    Decision d = decide(site(t, 25, {now}, 1, pv_w), p, st);
    last = *d.for_charger("a");
    return d;
  }
};

TEST(PhaseSwitching, ASmallSurplusChargesOnOnePhase) {
  ControlState st;
  Car car(ChargeMode::pv);
  // 3 kW of PV, 0.7 kW of house: 2.3 kW, below the 4.1 kW a 3-phase car needs, above 1.4 kW on one phase.
  for (int s = 0; s <= 90; ++s) car.step(st, t0 + s * 1000, 3000);
  EXPECT_EQ(car.last.phases, 1);
  EXPECT_EQ(car.last.limit_a, 10) << car.last.reason;  // 2.3 kW / 230 V
}

TEST(PhaseSwitching, BackToThreePhasesOnceTheSurplusLastsAndTheContactorsRested) {
  ControlState st;
  Car car(ChargeMode::pv);
  ControlParams p;
  for (int s = 0; s <= 90; ++s) car.step(st, t0 + s * 1000, 3000, p);
  ASSERT_EQ(car.last.phases, 1);
  // The sun comes out at 100 s: 8 kW. The switch waits phase_switch_delay_s (120 s) and, as the last switch
  // was at 0 s, min_phase_switch_interval_s (600 s).
  TimeMs switched = -1;
  for (int s = 100; s <= 900 && switched < 0; ++s)
    if (car.step(st, t0 + s * 1000, 8000, p).for_charger("a")->phases == 3) switched = s;
  EXPECT_EQ(switched, 600);
  // Three phases share what one carried: 7.3 kW / 690 W per amp.
  for (int s = 601; s <= 700; ++s) car.step(st, t0 + s * 1000, 8000, p);
  EXPECT_EQ(car.last.phases, 3);
  EXPECT_EQ(car.last.limit_a, 10);
}

TEST(PhaseSwitching, AFlickeringSurplusDoesNotSwitchBackAndForth) {
  ControlState st;
  Car car(ChargeMode::pv);
  int switches = 0, phases = 3;
  // An hour of clouds: the surplus crosses the 3-phase minimum every 20 s.
  for (int s = 0; s <= 3600; ++s) {
    const double pv = (s / 20) % 2 ? 6000 : 3000;
    const int now = car.step(st, t0 + s * 1000, pv).for_charger("a")->phases;
    if (now != phases) ++switches;
    phases = now;
  }
  EXPECT_LE(switches, 2) << "the contactors switch with every cloud";
}

TEST(PhaseSwitching, OnlyForChargersThatCanAndNotInModeNow) {
  ControlState st;
  Car fixed(ChargeMode::pv, false);
  for (int s = 0; s <= 90; ++s) fixed.step(st, t0 + s * 1000, 3000);
  EXPECT_EQ(fixed.last.phases, 3);
  EXPECT_EQ(fixed.last.limit_a, 0) << "a 3-phase car cannot charge on 2.3 kW";
  ControlState st2;
  Car now(ChargeMode::now);
  for (int s = 0; s <= 90; ++s) now.step(st2, t0 + s * 1000, 3000);
  EXPECT_EQ(now.last.phases, 3);
  EXPECT_EQ(now.last.limit_a, 16);
}

}  // namespace
}  // namespace hemd
