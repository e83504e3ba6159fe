#include <gtest/gtest.h>

#include <vector>

#include "daemon/loop.h"

namespace hemd {
namespace {

using namespace std::chrono_literals;

// Virtual time: waiting jumps straight to the deadline, a step "takes" whatever the test says it takes. The
// cadence is then checked exactly, with no dependence on how busy the machine is.
class FakeClock final : public LoopClock {
 public:
  time_point now() override { return t; }
  void wait_until(time_point until) override {
    if (woken) {
      woken = false;
      return;
    }
    if (until > t) t = until;
  }
  void wake() override { woken = true; }
  time_point t{};
  bool woken = false;
};

std::vector<long> run_ticks(FakeClock& clock, std::chrono::milliseconds period, int ticks,
                            const std::function<std::chrono::milliseconds(int)>& step_time) {
  std::vector<long> starts;
  ControlLoop* self = nullptr;
  ControlLoop loop(clock, period, [&](std::uint64_t i) {
    starts.push_back(
        std::chrono::duration_cast<std::chrono::milliseconds>(clock.t.time_since_epoch()).count());
    clock.t += step_time(static_cast<int>(i));
    if (static_cast<int>(i) + 1 == ticks) self->stop();
  });
  self = &loop;
  loop.run();
  return starts;
}

TEST(ControlLoop, KeepsAFixedCadenceWithoutDrift) {
  FakeClock clock;
  auto starts = run_ticks(clock, 1000ms, 10, [](int) { return 300ms; });
  ASSERT_EQ(starts.size(), 10u);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(starts[i], i * 1000) << "tick " << i;
}

TEST(ControlLoop, SlowStepSkipsMissedTicksInsteadOfBursting) {
  FakeClock clock;
  // Tick 2 takes 2.5 periods: ticks 3 and 4 are dropped, and the loop resumes on the grid at 5 s.
  auto starts = run_ticks(clock, 1000ms, 6, [](int i) { return i == 2 ? 2500ms : 100ms; });
  const std::vector<long> expected = {0, 1000, 2000, 5000, 6000, 7000};
  EXPECT_EQ(starts, expected);
}

TEST(ControlLoop, CountsOverrunsAndSkippedTicks) {
  FakeClock clock;
  ControlLoop* self = nullptr;
  int n = 0;
  ControlLoop loop(clock, 100ms, [&](std::uint64_t) {
    clock.t += (n % 2 == 0) ? 150ms : 10ms;
    if (++n == 6) self->stop();
  });
  self = &loop;
  loop.run();
  const auto s = loop.stats();
  EXPECT_EQ(s.ticks, 6u);
  EXPECT_EQ(s.overruns, 3u);
  EXPECT_EQ(s.skipped, 3u);
  EXPECT_EQ(s.max_step, std::chrono::microseconds(150000));
}

TEST(ControlLoop, NudgeRunsTheNextTickAtOnce) {
  FakeClock clock;
  ControlLoop* self = nullptr;
  std::vector<long> starts;
  ControlLoop loop(clock, 1000ms, [&](std::uint64_t i) {
    starts.push_back(
        std::chrono::duration_cast<std::chrono::milliseconds>(clock.t.time_since_epoch()).count());
    clock.t += 10ms;
    if (i == 1) self->nudge();  // e.g. a user pressed "start now" during tick 1
    if (i == 3) self->stop();
  });
  self = &loop;
  loop.run();
  const std::vector<long> expected = {0, 1000, 1010, 2010};
  EXPECT_EQ(starts, expected);
}

TEST(ControlLoop, PeriodChangeTakesEffectAtTheNextTick) {
  FakeClock clock;
  ControlLoop* self = nullptr;
  std::vector<long> starts;
  ControlLoop loop(clock, 1000ms, [&](std::uint64_t i) {
    starts.push_back(
        std::chrono::duration_cast<std::chrono::milliseconds>(clock.t.time_since_epoch()).count());
    if (i == 1) self->set_period(500ms);
    if (i == 3) self->stop();
  });
  self = &loop;
  loop.run();
  const std::vector<long> expected = {0, 1000, 1500, 2000};
  EXPECT_EQ(starts, expected);
}

}  // namespace
}  // namespace hemd
