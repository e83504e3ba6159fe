#include "daemon/loop.h"

namespace hemd {

void SteadyLoopClock::wait_until(time_point t) {
  std::unique_lock lock(mutex_);
  cv_.wait_until(lock, t, [&] { return woken_; });
  woken_ = false;
}

void SteadyLoopClock::wake() {
  {
    std::lock_guard lock(mutex_);
    woken_ = true;
  }
  cv_.notify_all();
}

void ControlLoop::run() {
  using namespace std::chrono;
  auto next = clock_.now();
  std::uint64_t tick = 0;
  while (!stop_) {
    const auto started = clock_.now();
    step_(tick++);
    const auto ended = clock_.now();
    const auto took = duration_cast<microseconds>(ended - started);
    const milliseconds period(period_.load());
    next += period;
    std::uint64_t skipped = 0;
    while (next <= ended) {
      next += period;
      ++skipped;
    }
    {
      std::lock_guard lock(stats_mutex_);
      ++stats_.ticks;
      stats_.last_step = took;
      stats_.max_step = std::max(stats_.max_step, took);
      if (took > period) ++stats_.overruns;
      stats_.skipped += skipped;
    }
    if (stop_) break;
    // A nudge restarts the cadence from now. The wait still runs: it returns at once and consumes the
    // clock's wake-up, which would otherwise cut the following period short too.
    if (nudged_.exchange(false)) next = clock_.now();
    clock_.wait_until(next);
    if (nudged_.exchange(false)) next = clock_.now();
  }
}

void ControlLoop::stop() {
  stop_ = true;
  clock_.wake();
}

void ControlLoop::nudge() {
  nudged_ = true;
  clock_.wake();
}

void ControlLoop::set_period(std::chrono::milliseconds p) {
  period_ = p.count();
}

LoopStats ControlLoop::stats() const {
  std::lock_guard lock(stats_mutex_);
  return stats_;
}

}  // namespace hemd
