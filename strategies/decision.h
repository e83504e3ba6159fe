#pragma once
// What the strategies decide in one cycle: a plain limit per charger. Drivers turn it into protocol messages.
#include <string>
#include <vector>

#include "strategies/sleeping_car.h"

namespace hemd {

struct ChargerCommand {
  std::string charger_id;
  double limit_a = 0.0;     // 0 (pause) or between the charger's minimum and maximum
  int phases = 3;           // phases to use (1/3 switching)
  std::string reason;       // short, for the status line, MQTT and the event log
  bool car_asleep = false;  // the car missed a resume and no wake-up helped (strategies/sleeping_car.h)
};

struct Decision {
  std::vector<ChargerCommand> commands;
  std::string summary;
  // The home batteries must not discharge: a car charges from the grid (strategies/battery.h). Carried out
  // only for batteries whose config enables control; the others' discharge is counted as import.
  bool battery_hold = false;
  std::string battery_reason;
  // Cars that do not follow a raise: wake-ups to carry out, and what earlier ones did (to be learnt).
  std::vector<WakeUp> wake_ups;
  std::vector<WakeOutcome> wake_outcomes;
  const ChargerCommand* for_charger(const std::string& id) const {
    for (const auto& c : commands)
      if (c.charger_id == id) return &c;
    return nullptr;
  }
};

}  // namespace hemd
