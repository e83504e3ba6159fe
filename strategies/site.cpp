#include "strategies/site.h"

namespace hemd {

namespace {
constexpr const char* mode_names[] = {"off", "now", "minpv", "pv", "smart"};
}

const char* to_string(ChargeMode m) {
  return mode_names[static_cast<int>(m)];
}

std::optional<ChargeMode> charge_mode_from_string(const std::string& s) {
  for (int i = 0; i < 5; ++i)
    if (s == mode_names[i]) return static_cast<ChargeMode>(i);
  return std::nullopt;
}

const char* to_string(ChargerStatus s) {
  switch (s) {
    case ChargerStatus::unknown:
      return "unknown";
    case ChargerStatus::available:
      return "available";
    case ChargerStatus::preparing:
      return "preparing";
    case ChargerStatus::charging:
      return "charging";
    case ChargerStatus::suspended_ev:
      return "suspended_ev";
    case ChargerStatus::suspended_evse:
      return "suspended_evse";
    case ChargerStatus::finishing:
      return "finishing";
    case ChargerStatus::reserved:
      return "reserved";
    case ChargerStatus::unavailable:
      return "unavailable";
    case ChargerStatus::faulted:
      return "faulted";
  }
  return "unknown";
}

const char* to_string(Quality q) {
  switch (q) {
    case Quality::ok:
      return "ok";
    case Quality::stale:
      return "stale";
    case Quality::failed:
      return "failed";
  }
  return "failed";
}

}  // namespace hemd
