#pragma once
// Charger quirk profiles: what a charger family does with OCPP smart charging, as data in
// config/chargers/<family>.yaml. The OCPP driver reads a profile; it never tests a vendor name itself.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "config/config.h"

namespace hemd::config {

struct ChargerProfile {
  std::string name;  // file stem, e.g. "go-e"
  std::string description;
  std::vector<std::string>
      match_vendors;  // BootNotification chargePointVendor / vendorName, prefix, any case
  std::vector<std::string>
      match_models;                // chargePointModel / model prefixes; empty = any model of the vendor
  std::string rate_unit = "auto";  // auto (ask the charger) | A | W
  std::optional<int> stack_level;  // unset = ChargeProfileMaxStackLevel from the charger
  std::string profile_kind = "Absolute";  // Absolute | Relative
  bool charge_point_max_profile = true;   // accepts ChargePointMaxProfile / ChargingStationMaxProfile
  bool tx_profile_without_transaction = false;
  bool remote_start = false;                     // a session must be started with RemoteStartTransaction
  bool change_availability = true;               // may be sent ChangeAvailability
  bool change_availability_connector_1 = false;  // rejects connector 0: address connector 1
  bool number_phases = true;                     // set numberPhases in amp profiles
  std::vector<std::string> measurands;           // MeterValuesSampledData to request; empty = leave as is
  int meter_interval_s = 10;
  int connect_timeout_s = 120;
  std::vector<double> current_steps_a;  // only these limits are honoured (rounded down); empty = any
  std::string pause = "zero_current";   // zero_current | remote_stop
  bool ocpp201_smart_charging = true;   // false: use OCPP 1.6J for smart charging
  bool verify_with_composite_schedule = true;
  // How a car that missed a resume after a pause may be woken, in the order to try: availability_cycle (a
  // short ChangeAvailability Inoperative/Operative) and restart_transaction (RemoteStop, then RemoteStart).
  // Empty: the charger allows none; the car is only reported. What worked on a charger is tried first.
  std::vector<std::string> wake_up = {"availability_cycle", "restart_transaction"};
  std::vector<std::string> notes;  // what is known and where from
  std::string file;
};

inline const std::vector<std::string> wake_up_methods = {"availability_cycle", "restart_transaction"};

struct ProfileSet {
  std::map<std::string, ChargerProfile> profiles;
  std::vector<Error> errors;
  // The profile a BootNotification's vendor and model select, or "generic".
  const ChargerProfile* match(const std::string& vendor, const std::string& model) const;
  const ChargerProfile* find(const std::string& name) const;
};

ChargerProfile read_charger_profile(const std::string& text, const std::string& file,
                                    std::vector<Error>& errors);
// Every *.yaml in `dir`; a broken file is reported and left out, the others still load.
ProfileSet load_charger_profiles(const std::string& dir);
// A charger's `profile:` must name a profile that exists.
std::vector<Error> check_profile_references(const Config& cfg, const ProfileSet& set);
// Where profiles live: $HEMD_CHARGER_PROFILES if set, $HEMD_DATA_DIR/chargers when installed, else the
// source tree (developers, tests).
std::string charger_profile_dir();

}  // namespace hemd::config
