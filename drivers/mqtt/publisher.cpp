#include "drivers/mqtt/publisher.h"

namespace hemd::mqtt {

bool Publisher::due(const std::string& topic, const std::string& payload, std::int64_t now_ms) const {
  auto it = last_.find(topic);
  if (it == last_.end()) return true;
  const std::int64_t age = now_ms - it->second.at;
  if (age < 0) return true;  // the clock went back
  if (age >= heartbeat_ms_) return true;
  return payload != it->second.payload && age >= min_interval_ms_;
}

void Publisher::published(const std::string& topic, const std::string& payload, std::int64_t now_ms) {
  last_[topic] = {payload, now_ms};
}

}  // namespace hemd::mqtt
