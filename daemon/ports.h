#pragma once
// How the control loop sees the outside world. Each driver gets a small adapter in daemon/ that implements
// these, so drivers never include daemon headers and strategies never include driver headers.
#include "strategies/decision.h"
#include "strategies/site.h"

namespace hemd {

// Adds what one driver knows to the snapshot being built for this cycle (readings, charger state).
class SiteInput {
 public:
  virtual ~SiteInput() = default;
  virtual void fill(SiteSnapshot& snapshot) = 0;
};

// Carries out the decision of this cycle (charging profiles to chargers).
class ChargerOutput {
 public:
  virtual ~ChargerOutput() = default;
  virtual void apply(const Decision& decision) = 0;
};

// Sees every cycle's snapshot and decision (MQTT state, status line). Must not block: copy and hand over.
class Observer {
 public:
  virtual ~Observer() = default;
  virtual void observe(const SiteSnapshot& snapshot, const Decision& decision) = 0;
};

}  // namespace hemd
