#pragma once
// hemd in Home Assistant: discovery on every connect (and when HA comes back), state of the site and each
// charger on change, and HA's controls turned into runtime settings. Runs beside the control loop: a broker
// that is down costs stale publications, never a late cycle.
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "config/config.h"
#include "daemon/energy_counters.h"
#include "daemon/ports.h"
#include "daemon/runtime_settings.h"
#include "drivers/mqtt/client.h"
#include "drivers/mqtt/home_assistant.h"
#include "drivers/mqtt/publisher.h"
#include "drivers/storage/database.h"

namespace hemd {

class MqttIo final : public Observer {
 public:
  // `announced` reads and stores which chargers HA was told about, so removed ones can be taken away.
  MqttIo(const config::Config& cfg, RuntimeSettings& settings, storage::Recorder& recorder,
         std::vector<std::string> announced_before, std::function<void()> nudge, std::function<void()> replan,
         std::function<void(const std::string& charger, const std::string& action)> charger_action = nullptr);
  void start() { client_->start(); }
  void observe(const SiteSnapshot& snapshot, const Decision& decision) override;

  static constexpr const char* announced_key = "mqtt.announced_chargers";

 private:
  void announce();
  std::vector<mqtt::ChargerInfo> chargers() const;
  void keep_energy_offsets(const std::string& database);
  void follow_devices(const SiteSnapshot& s);
  void handle(const mqtt::Message& m);
  std::string site_state(const SiteSnapshot& s, const Decision& d);
  std::string charger_state(const ChargerState& c, const Decision& d);
  void count(const SiteSnapshot& s);

  config::Config cfg_;
  mqtt::Topics topics_;
  std::vector<mqtt::ChargerInfo> chargers_;  // guarded by mutex_: the loop learns what each charger is
  RuntimeSettings& settings_;
  storage::Recorder& recorder_;
  std::vector<std::string> announced_before_;
  std::function<void()> nudge_;
  std::function<void()> replan_;
  std::function<void(const std::string&, const std::string&)> charger_action_;

  mutable std::mutex
      mutex_;  // guards publisher_ and chargers_ (observe runs in the loop, announce in the client's thread)
  mqtt::Publisher publisher_;
  TimeMs started_ = 0;
  EnergyCounters energy_;  // the loop's thread only
  struct Counted {
    bool seen = false;
    double session_wh = 0, charged_wh = 0, session_cost_dkk = 0;
  };
  std::map<std::string, Counted> counted_;         // by charger id; the loop's thread only
  std::atomic<std::int64_t> error_cleared_at_{0};  // the log's time of the last problem HA cleared
  // Declared last, so destroyed first: its threads call announce() and handle(), which use every member
  // above, until its destructor has joined them (a connect racing a stop freed publisher_ under ASan).
  std::unique_ptr<mqtt::Client> client_;
};

}  // namespace hemd
