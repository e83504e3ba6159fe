#pragma once
// A car that does not follow: the limit is raised after a pause and the car keeps drawing nothing. Some cars
// (a Dacia Spring, evcc #21293) fall asleep in a long pause and miss the resume, so a plan is not completed
// and the car is not full in the morning. This watches each car after a raise, asks for a wake-up by the
// methods its charger allows (in the order that worked before), and when none helps declares the car
// asleep: the rest of its need is then charged as one block from now (control.cpp), and the owner is told.
// Pure: the time comes in, decisions go out; the daemon carries the wake-ups out and learns from them.
#include <map>
#include <string>
#include <vector>

#include "strategies/site.h"

namespace hemd {

struct SleepParams {
  double after_s = 180;      // asked to charge, drawing nothing this long: the car is not following
  double wake_wait_s = 120;  // a wake-up has this long to make the car draw before the next is tried
  double idle_w = 100;       // drawing less than this counts as nothing (a car's own electronics)
};

// A wake-up to carry out: `method` is one of the charger's quirk profile's `wake_up` list.
struct WakeUp {
  std::string charger_id;
  std::string method;
};

// What a wake-up did, to be learnt per charger (charger_knowledge) so the next time starts with what worked.
struct WakeOutcome {
  std::string charger_id;
  std::string method;
  bool worked = false;
};

// What survives from one cycle to the next, per charger. Owned by the caller (ControlState).
struct SleepWatch {
  TimeMs armed_at = -1;    // the limit was raised to a charging one at this time; -1: not watching
  TimeMs idle_since = -1;  // asked to charge and drawing nothing since
  TimeMs tried_at = -1;    // the last wake-up was asked for at this time
  std::size_t next = 0;    // index of the next method to try
  std::string trying;      // the method whose effect is awaited
  std::vector<std::string> tried;
  bool asleep = false;     // every method failed: the car is left alone until it draws or leaves
  bool was_asked = false;  // the limit of the last cycle was a charging one
};

struct SleepVerdict {
  std::vector<WakeUp> wake_ups;
  std::vector<WakeOutcome> outcomes;
  std::string note;  // appended to the charger's reason: what was tried, or that the car sleeps
};

// The car is full: it suspends because it is done, not because it sleeps.
bool car_full(const ChargerState& c);
// The car draws nothing although offered a current: SuspendedEV, or Charging with about 0 W.
bool draws_nothing(const ChargerState& c, const SleepParams& p);

// One cycle for one charger: `limit_a` is what this cycle's decision gives it; `methods` are the wake-ups
// its charger allows, best first.
SleepVerdict watch_car(const ChargerState& c, double limit_a, const std::vector<std::string>& methods,
                       TimeMs now, const SleepParams& p, SleepWatch& w);

// A smart-mode car that did not wake is re-planned: no more pauses (they are what it sleeps through), the
// rest of its need as one block from now. While it sleeps it is offered its minimum current, so that it
// holds as little of the fuse as it can and draws the moment it wakes (its owner's app, its own timer);
// drawing, it is the plan's again (control.cpp). Its charger counts as charging from the grid.
void plan_as_one_block(SiteSnapshot& site, const std::map<std::string, SleepWatch>& watches);

// The order to try wake-ups in: those that worked on this charger first, then those not tried yet, then
// those that failed, each group in the quirk profile's order. `learnt` maps a method to "worked"/"failed".
std::vector<std::string> wake_order(const std::vector<std::string>& allowed,
                                    const std::map<std::string, std::string>& learnt);

}  // namespace hemd
