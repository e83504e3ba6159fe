#pragma once
// The central system's core, the same for every OCPP version and for ws:// and wss://: a session per
// charger, one CALL in flight at a time, answers matched to their calls, the limit hemd wants and when it
// goes out, the charging profiles that carry it. A listener (csms.cpp) brings the socket; a dialect
// (ocpp16.cpp, ocpp201.cpp) spells the messages of its version. Everything runs on the listener's thread;
// the views and the wanted limits are shared with the control loop under `mutex`.
#include <nlohmann/json.hpp>

#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <set>

#include "drivers/ocpp/csms.h"
#include "drivers/ocpp/frame.h"
#include "drivers/ocpp/limit_policy.h"
#include "drivers/ocpp/schema.h"

namespace hemd::ocpp {

using json = nlohmann::json;

struct Request {
  std::string action;
  json payload;
};

// A measured value however the version wrote it: SI units (W, Wh, A, V, %), phase 0..2 or -1 for all.
struct Sample {
  Measurand measurand = Measurand::Energy_Active_Import_Register;
  int phase = -1;
  double value = 0;
};

// 0..2 for a sampled value's phase (L1, L1-N, L1-L2…), -1 for none.
int phase_index(const std::string& phase);

// A charging profile as hemd means it; each dialect spells it in its version.
struct ProfileSpec {
  int id = 0;
  Purpose purpose = Purpose::TxDefaultProfile;  // or TxProfile, ChargePointMaxProfile (1.6's names)
  int stack_level = 0;
  bool relative = false;
  RateUnit unit = RateUnit::A;
  std::optional<std::int64_t> start_ms;
  std::optional<int> duration_s;
  struct Period {
    int start_s = 0;
    double limit = 0;
    std::optional<int> phases;
  };
  std::vector<Period> periods;
  std::optional<std::string> transaction;
};

struct Session {
  // The connection.
  bool open = false;
  int connection = 0;  // counts connections, so a timer set for an earlier one does nothing
  Version version = Version::v16;
  struct Pending {
    std::string id, action;
    json payload;
    std::function<void(const json&)> on_result;
    std::function<void()> on_failure;  // a CALLERROR, no answer in time, or an answer hemd cannot use
    std::int64_t sent_ms = 0;
  };
  std::deque<Pending> queue;
  std::optional<Pending> outstanding;
  int next_id = 1;
  // What the charger reported, beyond the view the control loop reads (ChargerView).
  struct Reported {
    double meter_start_wh = 0;
    std::string id_tag;  // the transaction's (a 2.0.1 station may start it at plug-in and learn it later)
    int over_limit_reports = 0;  // meter reports in a row with the car above its limit
  } reported;
  // What hemd decided and sent.
  struct Decided {
    bool configured = false;  // its limits may go out
    int set_up_on = 0;        // the connection on which it was last set up (0: never)
    LimitState limit;         // the dynamic limit, as the limit policy keeps it
    // The number of a decrease sent and not yet answered; raises elsewhere wait for it.
    int cut_unanswered = 0;
    bool cut_awaits_meter = false;  // accepted, not yet seen in the charger's meter
    int limits_sent = 0;
    std::int64_t limit_accepted_ms = 0;  // when the charger accepted the limit in force
  } decided;
  // What hemd learnt of the charger (some of it kept for its next boot: Learnt).
  struct Known {
    std::set<std::string> deviations;                // answers seen off their schema, each noted once
    std::string measurands_asked, measurands_taken;  // the list it took when asked for a longer one
    int max_stack_level = 8;                         // ChargeProfileMaxStackLevel
    const config::ChargerProfile* profile = nullptr;
    int stack_level = 1;  // the dynamic limit's; the safe floor sits one below
    RateUnit unit = RateUnit::A;
    int max_periods = 24;
    bool tx_profile_fallback = false;  // it refused a TxDefaultProfile: TxProfile inside transactions
    int tx_refusals = 0;
    bool max_profile_refused = false;
    bool ignores_by_measurement = false;  // what it measures says it does not apply its limit
  } known;
};

class Central;

// One OCPP version's messages: what a charger's CALL means, and how hemd's wishes are put to it.
class Dialect {
 public:
  explicit Dialect(Central& central) : c(central) {}
  virtual ~Dialect() = default;
  virtual const Schemas& schemas() const = 0;
  // The answer to a charger's CALL (valid by its schema); runs with the views locked.
  struct Answer {
    json payload = json::object();
    bool booted = false;   // configure the charger once the answer is out
    bool changed = false;  // the car or its transaction changed: the limit is looked at again
  };
  virtual Answer answer(const std::string& id, Session& s, ChargerView& v, const Call& call) = 0;
  // Asks what the charger supports; ends by calling Central::configure_with.
  virtual void learn(const std::string& id) = 0;
  // Asks for `measurands` (none: left as is) every `interval_s` (0: left as is); `done` says whether the
  // measurand list was taken.
  virtual void set_metering(const std::string& id, const std::vector<std::string>& measurands, int interval_s,
                            std::function<void(bool)> done) = 0;
  virtual Request availability(bool operative, bool connector_1) const = 0;
  virtual Request clear_default_profiles(int stack_level) const = 0;
  virtual Request set_profile(const ProfileSpec& p) const = 0;
  virtual Request composite_schedule(RateUnit unit, int duration_s) const = 0;
  // The limit in force now from a composite schedule, in A; nullopt when the answer has none.
  virtual std::optional<double> applied_a(const json& answer, int phases) const = 0;
  virtual Request start_session(const std::string& id_tag) = 0;
  virtual Request stop_session(const std::string& transaction) const = 0;
  virtual Request reset(bool hard) const = 0;
  virtual Request unlock() const = 0;
  virtual Request trigger(const std::string& message) const = 0;

 protected:
  Central& c;
};

std::unique_ptr<Dialect> make_ocpp16(Central& central);
std::unique_ptr<Dialect> make_ocpp201(Central& central);

// One listener, plain (ws://) or TLS (wss://), as the public Csms sees it.
struct Csms::Impl {
  virtual ~Impl() = default;
  virtual void start() = 0;
  virtual int port() const = 0;
  virtual std::map<std::string, ChargerView> views() const = 0;
  virtual void set_limit(const std::string& id, double amps, int phases) = 0;
  virtual bool act(const std::string& id, Action action) = 0;
  virtual void stop() = 0;
};

class Central : public Csms::Impl {
 public:
  Central(CsmsOptions o, std::vector<ChargerSetup> chargers, config::ProfileSet p, Csms::SessionSink sink,
          Csms::WallClock clock, Csms::LearntSink learnt);
  ~Central() override;

  // The listener's side.
  virtual void send_text(const std::string& id, const std::string& text) = 0;
  virtual void close(const std::string& id, const std::string& why) = 0;
  virtual void after_ms(int ms, std::function<void()> fn) = 0;
  virtual void post(std::function<void()> fn) = 0;  // onto the listener's thread, from any thread
  void leave_cuts();  // before the listener's side goes: the other listeners stop waking it
  bool knows(const std::string& id) const { return setups.count(id) > 0; }
  const ChargerSetup& setup(const std::string& id) const { return setups.at(id); }
  void opened(const std::string& id, Version version);
  void closed(const std::string& id);
  void received(const std::string& id, const std::string& text);
  void tick();  // every second
  void update(const std::string& id);
  void do_act(const std::string& id, Csms::Action a);
  std::map<std::string, ChargerView> views() const override;
  bool want(const std::string& id, double amps, int phases);  // false: nothing changed

  // The dialects' side.
  std::int64_t now() const { return clock(); }
  // `on_result` gets the answer, even one off its schema (it takes what it can use); `on_failure` runs
  // when there is none: a CALLERROR, no answer in time, or `on_result` threw.
  void call(const std::string& id, Request r, std::function<void(const json&)> on_result = nullptr,
            std::function<void()> on_failure = nullptr);
  void configure_with(const std::string& id);  // the capabilities are in the session: set the charger up
  bool accepts(const std::string& tag) const;
  std::string own_tag() const { return options_.id_tags.empty() ? "hemd" : options_.id_tags.front(); }
  const CsmsOptions& options() const { return options_; }
  // Events common to the versions, in 1.6's words (the plain charger model the strategies see).
  struct Identity {
    std::string vendor, model, firmware, serial;  // as the charger says at boot
  };
  void booted(const std::string& id, Session& s, ChargerView& v, Identity who);
  void connector_status(Session& s, ChargerView& v, ConnectorStatus status);
  void transaction_started(const std::string& id, Session& s, ChargerView& v, const std::string& tx,
                           const std::string& tag, double meter_wh);
  void transaction_ended(const std::string& id, Session& s, ChargerView& v, const std::string& tag,
                         double meter_wh, const std::string& reason);
  void samples(const std::string& id, Session& s, ChargerView& v, const std::vector<Sample>& values);
  void learnt_that(const std::string& id, const std::string& key, const std::string& value) {
    if (learnt) learnt({id, key, value});
  }
  ChargerView& view(const std::string& id) { return charger_views[id]; }  // with the mutex held
  Session& session(const std::string& id) { return sessions[id]; }

 protected:
  // The listener's, and this class's own.
  CsmsOptions options_;
  config::ProfileSet profiles_;
  mutable std::mutex mutex_;  // guards charger_views, desired

 private:
  Dialect& dialect(Version v);
  Dialect& dialect_of(const std::string& id) { return dialect(sessions[id].version); }
  void pump(const std::string& id);
  void finish(const std::string& id, Session::Pending& p, const json* answer);
  void lay(const std::string& id);
  void recall(const std::string& id);  // what a run before learnt: quirk profile, rate unit, refusals
  void meter(const std::string& id, const std::string& wanted, std::vector<std::string> measurands,
             int interval_s);
  bool others_cutting(const std::string& id) const;
  void cut_accepted(const std::string& id, int seq, bool ok, double amps);
  void cut_answered(const std::string& id, int seq);
  static constexpr double cut_tolerance_a = 1.0;  // a car at its new limit reads a little above it
  void cuts_taken_elsewhere();
  void handle_call(const std::string& id, Session& s, const Call& c);
  void configure(const std::string& id);
  void set_profile(const std::string& id, int profile_id, Purpose purpose, int stack_level, double amps,
                   std::optional<int> lapse_after_s, std::function<void(bool)> done = nullptr);
  void profile_answer(const std::string& id, Purpose purpose, bool dynamic, double limit,
                      const std::string& status);
  void verify(const std::string& id, double amps, int seq);
  void check_measured(const std::string& id, Session& s, ChargerView& v, std::optional<double> offered_a);
  double limit_in_unit(const Session& s, const std::string& id, double amps) const;
  int phases_of(const Session& s, const std::string& id) const;
  void mark_closed(const std::string& id);
  // Wake-ups of a car that missed a resume (central_wake.cpp).
  void wake(const std::string& id, Csms::Action how);
  void wake_by_availability(const std::string& id);
  void restart_after_stop(const std::string& id, int connection, int tries);

  static constexpr int floor_profile = 1, limit_profile = 2, max_profile = 3, tx_profile = 4;

  std::map<std::string, ChargerSetup> setups;
  Csms::SessionSink sink;
  Csms::LearntSink learnt;
  Csms::WallClock clock;
  int listener_ = 0;                         // its number in options_.cuts
  std::unique_ptr<Dialect> ocpp16, ocpp201;  // 2.0.1's schemas are loaded when a 2.0.1 station first comes
  std::map<std::string, Session> sessions;
  std::map<std::string, ChargerView> charger_views;
  std::map<std::string, double> desired;
  std::map<std::string, int> desired_phases;  // 1 or 3 for a charger that switches; absent: its wiring
};

}  // namespace hemd::ocpp
