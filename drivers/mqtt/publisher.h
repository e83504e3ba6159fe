#pragma once
// When to publish a state topic: on change, but not more often than a minimum interval (a power reading
// changes every second), and at least every heartbeat so a silent hemd is told apart from a steady one.
#include <cstdint>
#include <map>
#include <string>

namespace hemd::mqtt {

class Publisher {
 public:
  Publisher(std::int64_t min_interval_ms, std::int64_t heartbeat_ms)
      : min_interval_ms_(min_interval_ms), heartbeat_ms_(heartbeat_ms) {}
  bool due(const std::string& topic, const std::string& payload, std::int64_t now_ms) const;
  void published(const std::string& topic, const std::string& payload, std::int64_t now_ms);
  // After a reconnect every topic is due at once.
  void forget_all() { last_.clear(); }

 private:
  struct Last {
    std::string payload;
    std::int64_t at = 0;
  };
  std::int64_t min_interval_ms_;
  std::int64_t heartbeat_ms_;
  std::map<std::string, Last> last_;
};

}  // namespace hemd::mqtt
