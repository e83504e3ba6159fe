#pragma once
// Decreases sent to chargers and not yet answered, across every listener of one site. A TLS listener and a
// plain one share the main fuse: a raise on either waits until each cut on both is taken, so the chargers'
// limits never add up above what the fuse allows while a slow charger applies its cut.
#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <vector>

namespace hemd::ocpp {

class CutLedger {
 public:
  using Wake = std::function<void()>;
  // A listener joins with what wakes its held raises (called from another listener's thread: it must only
  // hand the work to its own). Returns the listener's number.
  int join(Wake wake);
  void leave(int listener);
  void cutting(int listener, const std::string& charger_id);
  // The cut is answered, or its charger is gone (counted at its last limit). When no cut is left anywhere,
  // the other listeners are woken.
  void answered(int listener, const std::string& charger_id);
  bool others_cutting(const std::string& charger_id) const;

 private:
  mutable std::mutex mutex_;
  std::set<std::string> cutting_;
  std::vector<Wake> wakes_;
};

}  // namespace hemd::ocpp
