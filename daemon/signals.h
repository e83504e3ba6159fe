#pragma once
// SIGTERM, SIGINT and SIGHUP are blocked in every thread and taken by one thread with sigwait, so handlers
// run as ordinary code (they may lock, log and reload) instead of inside an async signal context.
#include <functional>
#include <thread>

namespace hemd {

// Blocks SIGTERM, SIGINT and SIGHUP in the calling thread, and so in every thread started from it: the first
// thing main does, so that a stop during start-up waits for the SignalWatcher instead of killing hemd by the
// default action. A signal that came meanwhile stays pending and the watcher takes it.
void block_stop_signals();
// For the subcommands (hemd read, hemd prices...): Ctrl-C and SIGTERM end them the usual way.
void unblock_stop_signals();

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
