#include "drivers/ocpp/cut_ledger.h"

namespace hemd::ocpp {

int CutLedger::join(Wake wake) {
  std::lock_guard lock(mutex_);
  wakes_.push_back(std::move(wake));
  return static_cast<int>(wakes_.size()) - 1;
}

void CutLedger::leave(int listener) {
  std::lock_guard lock(mutex_);
  wakes_.at(listener) = nullptr;
}

void CutLedger::cutting(int, const std::string& charger_id) {
  std::lock_guard lock(mutex_);
  cutting_.insert(charger_id);
}

void CutLedger::answered(int listener, const std::string& charger_id) {
  std::vector<Wake> wake;
  {
    std::lock_guard lock(mutex_);
    if (cutting_.erase(charger_id) == 0 || !cutting_.empty()) return;
    for (int i = 0; i < static_cast<int>(wakes_.size()); ++i)
      if (i != listener && wakes_[i]) wake.push_back(wakes_[i]);
  }
  for (auto& w : wake) w();  // outside the lock: a wake may post work that asks the ledger again
}

bool CutLedger::others_cutting(const std::string& charger_id) const {
  std::lock_guard lock(mutex_);
  for (const auto& id : cutting_)
    if (id != charger_id) return true;
  return false;
}

}  // namespace hemd::ocpp
