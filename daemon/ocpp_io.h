#pragma once
// The chargers as the control loop sees them (snapshot), and the limits it decides (OCPP profiles).
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "config/config.h"
#include "daemon/ports.h"
#include "drivers/ocpp/csms.h"
#include "drivers/storage/recorder.h"

namespace hemd {

class OcppIo final : public SiteInput, public ChargerOutput {
 public:
  // Charging sessions and what chargers teach hemd go to `history`; `knowledge` is what they taught before
  // (charger_knowledge). Throws std::runtime_error when the listener cannot be opened.
  OcppIo(const config::Config& cfg, storage::Recorder& history,
         std::map<std::string, std::map<std::string, std::string>> knowledge = {});
  void fill(SiteSnapshot& snapshot) override;
  void apply(const Decision& decision) override;
  int port() const { return listeners_.front()->port(); }
  // "restart" or "unlock", from Home Assistant; false when the charger or the action is unknown.
  bool act(const std::string& charger_id, const std::string& action);

 private:
  // Cars that missed a resume: the wake-ups the decision asks for go out, and what they did is learnt.
  void wake(const Decision& d);
  storage::Recorder& history_;
  std::map<std::string, std::map<std::string, std::string>> knowledge_;  // by charger, as charger_knowledge
  std::map<std::string, std::vector<std::string>> wake_up_;              // by quirk profile name
  std::map<std::string, std::vector<double>> current_steps_;             // by quirk profile name
  std::set<std::string> switchable_;                                     // chargers told 1 or 3 phases
  std::map<std::string, std::pair<int, TimeMs>> metered_;  // per charger: reports seen, when the last came
  std::map<std::string, int> connect_timeout_s_;           // by charger, from its quirk profile
  TimeMs started_ = -1;
  std::set<std::string> never_connected_;  // reported once
  std::map<std::string, ocpp::ChargerView> views() const;
  ocpp::Csms& listener_of(const std::string& charger_id) const;
  std::vector<std::unique_ptr<ocpp::Csms>> listeners_;  // wss:// (or ws://), and ws:// beside wss:// if asked
};

}  // namespace hemd
