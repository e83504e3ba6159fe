#pragma once
// A fixed-cadence loop: tick k starts at start + k * period. A step that overruns its period makes the loop
// skip the ticks it missed (never a burst of catch-up ticks) and count the overrun.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>

namespace hemd {

class LoopClock {
 public:
  using time_point = std::chrono::steady_clock::time_point;
  virtual ~LoopClock() = default;
  virtual time_point now() = 0;
  // Waits until t or until wake() is called; returns at once if wake() was called since the last wait.
  virtual void wait_until(time_point t) = 0;
  virtual void wake() = 0;
};

class SteadyLoopClock final : public LoopClock {
 public:
  time_point now() override { return std::chrono::steady_clock::now(); }
  void wait_until(time_point t) override;
  void wake() override;

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool woken_ = false;
};

struct LoopStats {
  std::uint64_t ticks = 0;
  std::uint64_t overruns = 0;  // ticks whose step outlasted the period
  std::uint64_t skipped = 0;   // ticks dropped because a step outlasted them
  std::chrono::microseconds last_step{0};
  std::chrono::microseconds max_step{0};
};

class ControlLoop {
 public:
  using Step = std::function<void(std::uint64_t tick)>;
  ControlLoop(LoopClock& clock, std::chrono::milliseconds period, Step step)
      : clock_(clock), period_(period.count()), step_(std::move(step)) {}

  void run();                                    // until stop()
  void stop();                                   // from any thread
  void set_period(std::chrono::milliseconds p);  // takes effect at the next tick
  // Runs the next tick as soon as possible (e.g. a fuse alarm or a user command), then keeps the cadence.
  void nudge();
  LoopStats stats() const;

 private:
  LoopClock& clock_;
  std::atomic<std::chrono::milliseconds::rep> period_;
  Step step_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> nudged_{false};
  mutable std::mutex stats_mutex_;
  LoopStats stats_;
};

}  // namespace hemd
