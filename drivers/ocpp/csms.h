#pragma once
// The local central system: chargers connect to hemd over OCPP 1.6J or 2.0.1 (WebSocket, the subprotocol
// chosen per connection). The server runs on a thread of its own; the control loop only reads each charger's
// view and sets limits, both thread-safe.
#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/charger_profile.h"
#include "drivers/ocpp/cut_ledger.h"
#include "drivers/ocpp/ocpp_words.h"

namespace hemd::ocpp {

struct ChargerSetup {
  std::string id;
  std::string password;  // empty: no Basic authentication (security profile 0, for a charger without it)
  double min_current_a = 6;
  double max_current_a =
      16;  // what the installation allows: laid on the charger as its ChargePointMaxProfile
  double safe_current_a = 6;
  int phases = 3;
  std::optional<config::ChargerProfile> profile;  // from the config; otherwise matched at BootNotification
  std::string ocpp_version = "auto";              // or "1.6", "2.0.1": the only one accepted
  std::map<std::string, std::string> knowledge;   // what this charger taught hemd before (see Learnt)
};

// What hemd learns from a charger's answers and keeps across restarts, so the next boot starts with what
// worked: "limit_as" = TxProfile (it refuses TxDefaultProfiles), "max_profile" = "refused".
struct Learnt {
  std::string charger_id, key, value;
};

struct CsmsOptions {
  std::string address = "0.0.0.0";
  int port = 8887;  // 0: any free port (tests)
  std::string path = "/ocpp";
  bool free_charging = true;
  std::vector<std::string> id_tags;
  int heartbeat_s = 60;
  int call_timeout_s = 30;
  int profile_duration_s = 300;  // a dynamic limit lapses to the safe floor unless hemd renews it
  int min_resend_s = 10;         // an increase is sent at most this often; a decrease at once
  double deadband_a = 0.5;       // smaller changes are not sent
  std::size_t max_frame_bytes = 64 * 1024;
  struct Tls {
    std::string certificate, private_key;  // PEM files: the server's chain and key
    std::string client_ca;                 // set: chargers must present a certificate it signed (SP3)
  };
  std::optional<Tls> tls;  // set: wss:// only on this listener
  // Shared by the listeners of one site, so that a raise on one waits for the cuts on another; each
  // listener makes its own when none is given.
  std::shared_ptr<CutLedger> cuts;
};

// What hemd knows of one charger, copied out for the control loop.
struct ChargerView {
  bool connected = false;
  bool booted = false;
  std::string status = "Unknown";  // connector status as the charger reported it
  bool car_connected = false;
  double offered_a = 0;  // the limit the charger accepted last
  std::array<double, 3> current_a{};
  std::array<double, 3> voltage_v{};
  double power_w = 0;
  int meter_reports = 0;  // counts the reports of current or power: a new one says the figures are fresh
  double energy_wh = 0;   // the energy register
  double session_wh = 0;
  std::optional<double> soc_pct;
  std::optional<std::string> transaction_id;
  // What a car that talks ISO 15118 asked for (OCPP 2.0.1 NotifyEVChargingNeeds).
  struct EvNeed {
    std::optional<std::int64_t> departure_ms;
    std::optional<double> energy_wh;  // counted from `at_session_wh` of the session's energy
    double at_session_wh = 0;
  };
  std::optional<EvNeed> ev_need;
  std::string protocol;  // ocpp1.6 or ocpp2.0.1
  std::string vendor, model, profile;
  std::string firmware, serial;  // as the charger said at boot
  std::string rate_unit{word(RateUnit::A)};
  bool profile_rejected = false;
  bool profile_ignored = false;  // accepted, yet its composite schedule shows another limit
  bool available = true;         // false after ChangeAvailability Inoperative
  std::string limit_purpose{
      word(Purpose::TxDefaultProfile)};  // how the dynamic limit is sent (TxProfile as fall-back)
  std::string last_error;
  std::int64_t last_seen_ms = 0;
};

struct SessionEvent {
  std::string charger_id;
  std::string transaction_id;
  std::string id_tag;
  bool stopped = false;
  std::int64_t at_ms = 0;
  double meter_wh = 0;
  std::string reason;
};

class Csms {
 public:
  using WallClock = std::function<std::int64_t()>;
  using SessionSink = std::function<void(const SessionEvent&)>;
  using LearntSink = std::function<void(const Learnt&)>;
  Csms(CsmsOptions options, std::vector<ChargerSetup> chargers, config::ProfileSet profiles,
       SessionSink sink = nullptr, WallClock clock = nullptr, LearntSink learnt = nullptr);
  ~Csms();
  Csms(const Csms&) = delete;
  Csms& operator=(const Csms&) = delete;

  void start();  // listens; throws std::runtime_error when the port cannot be opened
  int port() const;
  std::map<std::string, ChargerView> views() const;
  // The limit hemd wants for a charger: 0 pauses, otherwise at least its minimum. Sent when it matters.
  // `phases` 1 or 3 switches a charger that can (numberPhases); 0 leaves it on its wiring.
  void set_limit(const std::string& id, double amps, int phases = 0);
  // An installer's or owner's action on one charger; the answer is logged (and kept as last_error when it
  // is a refusal). False for an unknown charger.
  // The wake-ups carry out the daemon's choice for a car that missed a resume (quirk profile `wake_up`).
  enum class Action {
    start_session,
    stop_session,
    restart,
    hard_restart,
    unlock,
    enable,
    disable,
    wake_by_availability_cycle,
    wake_by_restart_transaction
  };
  bool act(const std::string& id, Action action);
  void stop();

  struct Impl;  // a listener, plain or TLS (central.h, csms.cpp)

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace hemd::ocpp
