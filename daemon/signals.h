#pragma once
// SIGTERM, SIGINT and SIGHUP are blocked in every thread and taken by one thread with sigwait, so handlers
// run as ordinary code (they may lock, log and reload) instead of inside an async signal context.
#include <functional>
#include <thread>

namespace hemd {

class SignalWatcher {
 public:
  // Must be constructed before any other thread starts, so that every thread inherits the blocked mask.
  SignalWatcher(std::function<void()> on_stop, std::function<void()> on_reload);
  ~SignalWatcher();
  SignalWatcher(const SignalWatcher&) = delete;
  SignalWatcher& operator=(const SignalWatcher&) = delete;

 private:
  std::function<void()> on_stop_;
  std::function<void()> on_reload_;
  std::thread thread_;
};

}  // namespace hemd
