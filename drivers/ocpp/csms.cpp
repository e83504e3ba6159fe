#include "drivers/ocpp/csms.h"

#include <fmt/format.h>

#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <chrono>
#include <cmath>
#include <ctime>
#include <deque>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <websocketpp/base64/base64.hpp>

#include <type_traits>
#include <websocketpp/config/asio.hpp>
#include <websocketpp/server.hpp>

#include "drivers/log/log.h"
#include "drivers/log/wall_clock.h"
#include "drivers/ocpp/frame.h"
#include "drivers/ocpp/schema.h"

namespace hemd::ocpp {

namespace {

using json = nlohmann::json;
using Hdl = websocketpp::connection_hdl;

bool car_present(const std::string& status) {
  return status == "Preparing" || status == "Charging" || status == "SuspendedEV" ||
         status == "SuspendedEVSE" || status == "Finishing";
}

// A sampled value in SI units (W, Wh, A, V, %), whatever unit prefix the charger used.
double sampled_si(const json& sv) {
  double v = std::stod(sv.at("value").get<std::string>());
  const std::string unit = sv.value("unit", "");
  if (unit == "kWh" || unit == "kW" || unit == "kvarh" || unit == "kVA") v *= 1000;
  return v;
}

using SslContext = websocketpp::lib::asio::ssl::context;

// TLS 1.2 and later with forward-secret AEAD ciphers only; with a client CA, chargers must show a
// certificate it signed (security profile 3).
std::shared_ptr<SslContext> tls_context(const CsmsOptions::Tls& t) {
  auto ctx = std::make_shared<SslContext>(SslContext::tls_server);
  ctx->set_options(SslContext::default_workarounds | SslContext::no_sslv2 | SslContext::no_sslv3 |
                   SslContext::no_tlsv1 | SslContext::no_tlsv1_1 | SslContext::single_dh_use);
  SSL_CTX_set_cipher_list(ctx->native_handle(),
                          "ECDHE+AESGCM:ECDHE+CHACHA20:!aNULL:!eNULL:!MD5:!DSS:!RC4:!3DES");
  auto load = [](const char* key, const std::string& file, auto&& fn) {
    try {
      fn();
    } catch (const std::exception& e) {
      throw std::runtime_error(fmt::format("ocpp.tls.{} {}: {}", key, file, e.what()));
    }
  };
  load("certificate", t.certificate, [&] { ctx->use_certificate_chain_file(t.certificate); });
  load("private_key", t.private_key, [&] { ctx->use_private_key_file(t.private_key, SslContext::pem); });
  if (!t.client_ca.empty()) {
    ctx->set_verify_mode(websocketpp::lib::asio::ssl::verify_peer |
                         websocketpp::lib::asio::ssl::verify_fail_if_no_peer_cert);
    load("client_ca", t.client_ca, [&] { ctx->load_verify_file(t.client_ca); });
  }
  return ctx;
}

}  // namespace

// One listener, plain (ws://) or TLS (wss://): the same central system on either websocketpp config.
struct Csms::Impl {
  virtual ~Impl() = default;
  virtual void start() = 0;
  virtual int port() const = 0;
  virtual std::map<std::string, ChargerView> views() const = 0;
  virtual void set_limit(const std::string& id, double amps, int phases) = 0;
  virtual bool act(const std::string& id, Action action) = 0;
  virtual void stop() = 0;
};

namespace {

template <class Config>
struct Endpoint final : Csms::Impl {
  using Server = websocketpp::server<Config>;
  using Action = Csms::Action;
  using SessionSink = Csms::SessionSink;
  using LearntSink = Csms::LearntSink;
  using WallClock = Csms::WallClock;
  static constexpr bool tls = std::is_same_v<Config, websocketpp::config::asio_tls>;
  struct Pending {
    std::string id, action;
    json payload;
    std::function<void(const json&)> on_result;
    std::int64_t sent_ms = 0;
  };
  struct Session {
    Hdl hdl;
    bool open = false;
    std::deque<Pending> queue;
    std::optional<Pending> outstanding;
    int next_id = 1;
    bool configured = false;
    int stack_level = 1;  // the dynamic limit's; the safe floor sits one below
    std::string unit = "A";
    const config::ChargerProfile* profile = nullptr;
    std::optional<double> sent_a;
    std::int64_t sent_ms = 0;
    std::string sent_purpose;
    int max_periods = 24;
    bool tx_profile_fallback = false;  // the charger refused a TxDefaultProfile: TxProfile in transactions
    int tx_refusals = 0;
    bool max_profile_refused = false;
    bool car_arrived = false;
    int phases = 0;  // what the dynamic limit was sent for (1/3 switching); 0 = the charger's wiring  // its
                     // first increase is not held back by the rate limit
    int limits_sent = 0;
    bool remote_started = false;  // RemoteStartTransaction sent for the car plugged in now
    bool remote_stopped = false;  // paused by RemoteStopTransaction (quirk pause: remote_stop)
    double meter_start_wh = 0;
  };

  CsmsOptions options;
  std::map<std::string, ChargerSetup> setups;
  config::ProfileSet profiles;
  SessionSink sink;
  LearntSink learnt;
  WallClock clock;
  Schemas schemas;
  Server server;
  std::thread thread;
  typename Server::timer_ptr tick;
  std::map<Hdl, std::string, std::owner_less<Hdl>> ids;
  std::map<std::string, Session> sessions;  // the server thread's own
  mutable std::mutex mutex;                 // guards views and desired
  std::map<std::string, ChargerView> charger_views;
  std::map<std::string, double> desired;
  std::map<std::string, int> desired_phases;  // 1 or 3 for a charger that switches; absent: its wiring
  int next_transaction = 0;
  int bound_port = 0;

  std::int64_t now() const { return clock(); }

  ChargerView& view(const std::string& id) { return charger_views[id]; }  // call with mutex held

  void send(Session& s, const std::string& text) {
    websocketpp::lib::error_code ec;
    server.send(s.hdl, text, websocketpp::frame::opcode::text, ec);
    if (ec) log::warning("ocpp: sending failed: {}", ec.message());
  }

  // Queues a CALL; one is in flight per charger and the answer is handled as a message, never waited for.
  void call(const std::string& id, const std::string& action, json payload,
            std::function<void(const json&)> on_result = nullptr) {
    Session& s = sessions[id];
    s.queue.push_back(Pending{"", action, std::move(payload), std::move(on_result), 0});
    pump(id);
  }

  void pump(const std::string& id) {
    Session& s = sessions[id];
    if (!s.open || s.outstanding || s.queue.empty()) return;
    Pending p = std::move(s.queue.front());
    s.queue.pop_front();
    // hemd's own messages meet the same schemas it holds chargers to; one that does not is a bug in hemd,
    // reported here rather than as a rejection by a strict charger.
    if (auto v = schemas.check(p.action, false, p.payload)) {
      log::error("ocpp: {}: not sending {}: {} (a bug in hemd)", id, p.action, v->description);
      return pump(id);
    }
    p.id = fmt::format("hemd-{}", s.next_id++);
    p.sent_ms = now();
    send(s, call_frame(p.id, p.action, p.payload));
    s.outstanding = std::move(p);
  }

  void on_message(Hdl h, typename Server::message_ptr msg) {
    auto it = ids.find(h);
    if (it == ids.end()) return;
    const std::string id = it->second;
    Session& s = sessions[id];
    {
      std::lock_guard lock(mutex);
      view(id).last_seen_ms = now();
    }
    const Frame f = parse_frame(msg->get_payload());
    if (const auto* bad = std::get_if<BadFrame>(&f)) {
      log::warning("ocpp: {}: malformed frame ({}): {}", id, bad->code, bad->description);
      send(s, error_frame(bad->id, bad->code, bad->description));
      return;
    }
    if (const auto* c = std::get_if<Call>(&f)) return handle_call(id, s, *c);
    if (const auto* r = std::get_if<CallResult>(&f)) {
      if (!s.outstanding || s.outstanding->id != r->id) {
        log::info("ocpp: {}: answer to unknown message {} ignored", id, r->id);
        return;
      }
      Pending p = std::move(*s.outstanding);
      s.outstanding.reset();
      if (auto v = schemas.check(p.action, true, r->payload))
        log::warning("ocpp: {}: {} answer does not follow the schema: {}", id, p.action, v->description);
      else if (p.on_result)
        p.on_result(r->payload);
      pump(id);
      return;
    }
    const auto& e = std::get<CallError>(f);
    if (s.outstanding && s.outstanding->id == e.id) {
      log::warning("ocpp: {}: {} failed: {} {}", id, s.outstanding->action, e.code, e.description);
      std::lock_guard lock(mutex);
      view(id).last_error = fmt::format("{}: {} {}", s.outstanding->action, e.code, e.description);
    }
    s.outstanding.reset();
    pump(id);
  }

  void handle_call(const std::string& id, Session& s, const Call& c) {
    if (!schemas.knows(c.action)) {
      send(s, error_frame(c.id, "NotImplemented", "hemd does not know the action " + c.action));
      return;
    }
    if (auto v = schemas.check(c.action, false, c.payload)) {
      log::warning("ocpp: {}: {} refused ({}): {}", id, c.action, v->code, v->description);
      send(s, error_frame(c.id, v->code, v->description));
      return;
    }
    json reply = json::object();
    const std::int64_t t = now();
    std::unique_lock lock(mutex);
    ChargerView& v = view(id);
    if (c.action == "BootNotification") {
      v.booted = true;
      v.vendor = c.payload.value("chargePointVendor", "");
      v.model = c.payload.value("chargePointModel", "");
      const auto& setup = setups.at(id);
      s.profile = setup.profile ? &*setup.profile : profiles.match(v.vendor, v.model);
      v.profile = s.profile ? s.profile->name : "generic";
      reply = {{"status", "Accepted"}, {"currentTime", iso_time(t)}, {"interval", options.heartbeat_s}};
      lock.unlock();
      log::notice("ocpp: {} booted: {} {} (profile {})", id, v.vendor, v.model, v.profile);
      send(s, result_frame(c.id, reply));
      configure(id);
      return;
    } else if (c.action == "Heartbeat") {
      reply = {{"currentTime", iso_time(t)}};
    } else if (c.action == "StatusNotification") {
      if (c.payload.value("connectorId", 0) > 0 || v.status == "Unknown") {
        const bool was_connected = v.car_connected;
        v.status = c.payload.value("status", "Unknown");
        v.car_connected = car_present(v.status);
        if (!v.car_connected) s.remote_started = s.remote_stopped = false;
        // A car that has just arrived starts at once: the rate limit spares contactors from a limit that
        // hunts, not from the first start.
        if (v.car_connected && !was_connected) s.car_arrived = true;
      }
    } else if (c.action == "Authorize") {
      reply = {{"idTagInfo", {{"status", accepts(c.payload.value("idTag", "")) ? "Accepted" : "Invalid"}}}};
    } else if (c.action == "StartTransaction") {
      const int tx = ++next_transaction;
      const std::string tag = c.payload.value("idTag", "");
      const bool ok = accepts(tag);
      reply = {{"transactionId", tx}, {"idTagInfo", {{"status", ok ? "Accepted" : "Invalid"}}}};
      if (ok) {
        v.transaction_id = tx;
        s.meter_start_wh = c.payload.value("meterStart", 0);
        v.session_wh = 0;
        if (sink) sink({id, tx, tag, false, t, s.meter_start_wh, ""});
        if (s.tx_profile_fallback) s.sent_a.reset();  // the limit can be sent now, as a TxProfile
      }
    } else if (c.action == "StopTransaction") {
      const double meter = c.payload.value("meterStop", 0);
      if (sink)
        sink({id, c.payload.value("transactionId", 0), c.payload.value("idTag", ""), true, t, meter,
              c.payload.value("reason", "Local")});
      v.session_wh = meter - s.meter_start_wh;
      v.transaction_id.reset();
      if (s.sent_purpose == "TxProfile")
        s.sent_a.reset();  // the charger drops a TxProfile with its transaction
      reply = {{"idTagInfo", {{"status", "Accepted"}}}};
    } else if (c.action == "MeterValues") {
      read_meter_values(v, s, c.payload);
    } else if (c.action == "DataTransfer") {
      reply = {{"status", "UnknownVendorId"}};
    }
    lock.unlock();
    send(s, result_frame(c.id, reply));
    if (c.action == "StartTransaction" || c.action == "StopTransaction" || c.action == "StatusNotification")
      update(id);
  }

  bool accepts(const std::string& tag) const {
    return options.free_charging ||
           std::find(options.id_tags.begin(), options.id_tags.end(), tag) != options.id_tags.end();
  }

  void read_meter_values(ChargerView& v, const Session& s, const json& payload) {
    for (const auto& mv : payload.at("meterValue")) {
      for (const auto& sv : mv.at("sampledValue")) {
        double value = 0;
        try {
          value = sampled_si(sv);
        } catch (const std::exception&) {
          continue;  // a value that is not a number; the schema lets it through as a string
        }
        const std::string measurand = sv.value("measurand", "Energy.Active.Import.Register");
        const std::string phase = sv.value("phase", "");
        const int ph = phase.rfind("L1", 0) == 0   ? 0
                       : phase.rfind("L2", 0) == 0 ? 1
                       : phase.rfind("L3", 0) == 0 ? 2
                                                   : -1;
        if (measurand == "Energy.Active.Import.Register" && ph < 0) {
          v.energy_wh = value;
          if (v.transaction_id) v.session_wh = value - s.meter_start_wh;
        } else if (measurand == "Power.Active.Import" && ph < 0) {
          v.power_w = value;
        } else if (measurand == "Current.Import") {
          if (ph >= 0)
            v.current_a[ph] = value;
          else
            v.current_a = {value, value, value};
        } else if (measurand == "Voltage" && ph >= 0) {
          v.voltage_v[ph] = value;
        } else if (measurand == "SoC") {
          v.soc_pct = value;
        }
      }
    }
  }

  // After boot: learn what the charger supports, ask for the meter values hemd needs, lay the safe floor.
  void configure(const std::string& id) {
    Session& session = sessions[id];
    // A charger a previous central system left Inoperative would never charge (evcc's setup does the same).
    if (!session.profile || session.profile->change_availability)
      call(id, "ChangeAvailability",
           {{"connectorId", session.profile && session.profile->change_availability_connector_1 ? 1 : 0},
            {"type", "Operative"}},
           [this, id](const json& r) {
             if (r.value("status", "") == "Rejected")
               log::notice("ocpp: {}: ChangeAvailability Operative rejected", id);
           });
    call(id, "GetConfiguration", json::object(), [this, id](const json& r) {
      Session& s = sessions[id];
      std::string unit = "A";
      for (const auto& kv : r.value("configurationKey", json::array())) {
        const std::string key = kv.value("key", ""), value = kv.value("value", "");
        if (key == "ChargeProfileMaxStackLevel") s.stack_level = std::max(0, std::atoi(value.c_str()));
        if (key == "ChargingScheduleMaxPeriods") s.max_periods = std::max(1, std::atoi(value.c_str()));
        if (key == "ChargingScheduleAllowedChargingRateUnit" && value.find("Current") == std::string::npos &&
            value.find('A') == std::string::npos &&
            (value.find("Power") != std::string::npos || value.find('W') != std::string::npos))
          unit = "W";
      }
      s.stack_level = std::min(s.stack_level, 1);  // floor at 0, dynamic at 1: that is all hemd needs
      const auto& known = setups.at(id).knowledge;
      if (auto k = known.find("limit_as");
          k != known.end() && k->second == "TxProfile" && !s.tx_profile_fallback) {
        s.tx_profile_fallback = true;
        log::notice("ocpp: {}: known from before: it refuses TxDefaultProfiles; limits go as TxProfile", id);
      }
      if (auto k = known.find("max_profile"); k != known.end() && k->second == "refused")
        s.max_profile_refused = true;
      if (s.profile && s.profile->stack_level) s.stack_level = *s.profile->stack_level;
      if (s.profile && s.profile->rate_unit != "auto") unit = s.profile->rate_unit;
      s.unit = unit;
      {
        std::lock_guard lock(mutex);
        view(id).rate_unit = unit;
      }
      if (s.profile && !s.profile->measurands.empty())
        call(id, "ChangeConfiguration",
             {{"key", "MeterValuesSampledData"},
              {"value", fmt::format("{}", fmt::join(s.profile->measurands, ","))}});
      call(id, "ChangeConfiguration",
           {{"key", "MeterValueSampleInterval"},
            {"value", std::to_string(s.profile ? s.profile->meter_interval_s : 10)}});
      // Profiles another central system left (a cloud backend's 0 A at a high stack level) would override
      // hemd's: the charger starts from a clean slate.
      call(id, "ClearChargingProfile", {{"chargingProfilePurpose", "TxDefaultProfile"}});
      const auto& setup = setups.at(id);
      if (s.stack_level > 0 && !s.tx_profile_fallback)
        set_profile(id, floor_profile, "TxDefaultProfile", s.stack_level - 1, setup.safe_current_a,
                    std::nullopt);
      // The installation's maximum, enforced by the charger itself whatever else happens.
      if ((!s.profile || s.profile->charge_point_max_profile) && !s.max_profile_refused)
        set_profile(id, max_profile, "ChargePointMaxProfile", 0, setup.max_current_a, std::nullopt);
      s.configured = true;
      s.sent_a.reset();
      update(id);
      // What the connector is doing now, rather than at its next change.
      call(id, "TriggerMessage", {{"requestedMessage", "StatusNotification"}, {"connectorId", 1}});
    });
  }

  static constexpr int floor_profile = 1, limit_profile = 2, max_profile = 3, tx_profile = 4;

  // After a changed limit: does the charger apply it? Its composite schedule says what it will do.
  void verify(const std::string& id, double amps) {
    Session& s = sessions[id];
    if (s.profile && !s.profile->verify_with_composite_schedule) return;
    const int seq = s.limits_sent;
    call(id, "GetCompositeSchedule", {{"connectorId", 1}, {"duration", 60}, {"chargingRateUnit", s.unit}},
         [this, id, amps, seq](const json& r) {
           if (sessions[id].limits_sent != seq) return;  // a newer limit went out meanwhile: judged after it
           if (r.value("status", "") != "Accepted" || !r.contains("chargingSchedule")) return;
           const auto& periods = r["chargingSchedule"].value("chargingSchedulePeriod", json::array());
           if (periods.empty()) return;
           double applied = periods[0].value("limit", 0.0);
           if (r["chargingSchedule"].value("chargingRateUnit", "A") == "W")
             applied /= 230.0 * periods[0].value("numberPhases", setups.at(id).phases);
           const double expected = std::min(amps, setups.at(id).max_current_a);
           std::lock_guard lock(mutex);
           ChargerView& v = view(id);
           const bool ignored = std::abs(applied - expected) > 0.5;
           if (ignored && !v.profile_ignored)
             log::warning(
                 "ocpp: {}: accepted a limit of {:.1f} A but its composite schedule says {:.1f} A: it does "
                 "not apply hemd's profiles; counted at {:.1f} A",
                 id, expected, applied, applied);
           if (!ignored && v.profile_ignored) log::notice("ocpp: {}: applies hemd's limits again", id);
           v.profile_ignored = ignored;
           if (ignored) {
             v.offered_a = applied;
             v.last_error = fmt::format("accepts profiles but applies {:.1f} A", applied);
           }
         });
  }

  double limit_in_unit(const Session& s, const std::string& id, double amps) const {
    return s.unit == "W" ? std::round(amps * 230.0 * phases_of(s, id)) : amps;
  }

  int phases_of(const Session& s, const std::string& id) const {
    return s.phases ? s.phases : setups.at(id).phases;
  }

  // A TxDefaultProfile on connector 0. With `lapse_after_s` the limit holds that long and then the charger
  // is back at its safe current by itself: hemd renews it while it runs, a crashed hemd does not.
  void set_profile(const std::string& id, int profile_id, const std::string& purpose, int stack_level,
                   double amps, std::optional<int> lapse_after_s, std::function<void(bool)> done = nullptr) {
    Session& s = sessions[id];
    std::optional<int> transaction;
    if (purpose == "TxProfile") {
      std::lock_guard lock(mutex);
      transaction = view(id).transaction_id;
      if (!transaction) return;  // chargers disagree on a TxProfile outside a transaction: never sent
    }
    const auto& setup = setups.at(id);
    const double limit = amps >= setup.min_current_a ? amps : 0.0;
    const double safe = setup.safe_current_a >= setup.min_current_a ? setup.safe_current_a : 0.0;
    auto period = [&](int start, double a) {
      json p = {{"startPeriod", start}, {"limit", limit_in_unit(s, id, a)}};
      if (s.unit == "A" && (!s.profile || s.profile->number_phases)) p["numberPhases"] = phases_of(s, id);
      return p;
    };
    const bool relative = s.profile && s.profile->profile_kind == "Relative";
    // Clocks in chargers run slow as often as fast: a minute's head start keeps the schedule in force.
    const std::int64_t start_ms = now() - 60'000;
    json schedule = {{"chargingRateUnit", s.unit},
                     {"chargingSchedulePeriod", json::array({period(0, limit)})}};
    if (!relative) schedule["startSchedule"] = iso_time(start_ms);
    if (lapse_after_s) {
      if (stack_level == 0 && s.max_periods < 2) {
        // No floor below and no room for a second period: a lapsing limit would leave the charger at its own
        // maximum, so this one holds until hemd sends the next.
        log::info("ocpp: {}: one stack level and one period only: the limit holds if hemd stops", id);
      } else if (stack_level == 0) {
        // No level below for a floor (a charger that takes stack level 0 only): the fall-back is a second
        // period.
        schedule["chargingSchedulePeriod"].push_back(period(*lapse_after_s + 60, safe));
      } else {
        schedule["duration"] = *lapse_after_s + 60;
      }
    }
    const bool cap = purpose == "ChargePointMaxProfile";
    json profile = {{"chargingProfileId", profile_id},
                    {"stackLevel", stack_level},
                    {"chargingProfilePurpose", purpose},
                    {"chargingProfileKind", relative && !cap ? "Relative" : "Absolute"},
                    {"chargingSchedule", schedule}};
    if (cap && relative) profile["chargingSchedule"]["startSchedule"] = iso_time(start_ms);
    if (transaction) profile["transactionId"] = *transaction;
    const bool dynamic = profile_id == limit_profile || profile_id == tx_profile;
    call(id, "SetChargingProfile",
         {{"connectorId", purpose == "TxProfile" ? 1 : 0}, {"csChargingProfiles", profile}},
         [this, id, limit, done, purpose, dynamic, cap](const json& r) {
           const bool ok = r.value("status", "") == "Accepted";
           const std::string status = r.value("status", "");
           std::unique_lock lock(mutex);
           ChargerView& v = view(id);
           if (cap) {
             if (!ok) {
               log::notice("ocpp: {}: no ChargePointMaxProfile ({}); hemd's limits alone keep it in", id,
                           status);
               sessions[id].max_profile_refused = true;
               if (learnt) learnt({id, "max_profile", "refused"});
             }
           } else if (ok) {
             if (purpose == "TxProfile") sessions[id].tx_refusals = 0;
             if (dynamic) {
               v.offered_a = limit;
               v.limit_purpose = purpose;
               v.profile_rejected = false;
             }
           } else if (dynamic && purpose == "TxDefaultProfile" && !sessions[id].tx_profile_fallback) {
             // Some chargers take limits only for a running transaction (as the Home Assistant integration
             // learnt): from now on the limit goes out as a TxProfile while there is one.
             sessions[id].tx_profile_fallback = true;
             sessions[id].sent_a.reset();
             if (learnt) learnt({id, "limit_as", "TxProfile"});
             v.last_error = "TxDefaultProfile " + status + "; TxProfile inside transactions";
             log::warning(
                 "ocpp: {}: answered {} to a TxDefaultProfile; limits go out as TxProfile inside "
                 "transactions, the safe current outside them",
                 id, status);
             if (!v.transaction_id) v.profile_rejected = true;
           } else if (purpose == "TxProfile" && ++sessions[id].tx_refusals < 3) {
             // A charger may not know its transaction id yet when the profile follows StartTransaction at
             // once: asked again at the next tick before it counts as a refusal.
             sessions[id].sent_a.reset();
             log::info("ocpp: {}: TxProfile {}; trying again", id, status);
           } else {
             v.profile_rejected = true;
             v.last_error = "SetChargingProfile " + status;
             log::warning("ocpp: {}: the charger answered {} to a charging profile; it gets its safe current",
                          id, status);
           }
           lock.unlock();
           if (done) done(ok);
         });
  }

  // Sends the wanted limit when it matters: a decrease at once (the fuse), an increase at most every
  // min_resend_s, no change smaller than the deadband, and a renewal before the dynamic profile lapses.
  void update(const std::string& id) {
    Session& s = sessions[id];
    if (!s.open || !s.configured) return;
    const auto& setup = setups.at(id);
    double want;
    int phases;
    {
      std::lock_guard lock(mutex);
      auto it = desired.find(id);
      want = it == desired.end() ? setup.safe_current_a : it->second;
      auto ph = desired_phases.find(id);
      phases = ph == desired_phases.end() ? setup.phases : ph->second;
    }
    if (want < setup.min_current_a) want = 0;  // never 5 A: pause
    bool in_transaction, car;
    std::optional<int> transaction;
    {
      std::lock_guard lock(mutex);
      transaction = view(id).transaction_id;
      in_transaction = transaction.has_value();
      car = view(id).car_connected;
    }
    sessions_by_command(id, s, want, car, transaction);
    const std::string purpose = s.tx_profile_fallback && in_transaction ? "TxProfile" : "TxDefaultProfile";
    if (s.tx_profile_fallback && !in_transaction) return;  // the safe floor holds outside transactions
    const std::int64_t t = now();
    // A phase switch goes out at once: the car is told before it draws on phases it should not.
    bool send_now = !s.sent_a || purpose != s.sent_purpose || phases != phases_of(s, id);
    if (s.sent_a) {
      const double change = want - *s.sent_a;
      const bool renew = t - s.sent_ms >= options.profile_duration_s * 1000 / 3;
      if (change <= -options.deadband_a || (want == 0 && *s.sent_a > 0))
        send_now = true;
      else if (change >= options.deadband_a &&
               (s.car_arrived || t - s.sent_ms >= options.min_resend_s * 1000))
        send_now = true;
      else if (renew)
        send_now = true;
    }
    if (!send_now) return;
    if (s.sent_a && want > *s.sent_a) s.car_arrived = false;
    const bool changed = !s.sent_a || *s.sent_a != want;
    s.sent_a = want;
    s.sent_ms = t;
    s.sent_purpose = purpose;
    s.phases = phases;
    ++s.limits_sent;
    set_profile(id, purpose == "TxProfile" ? tx_profile : limit_profile, purpose, s.stack_level, want,
                options.profile_duration_s, [this, id, want, changed](bool ok) {
                  if (ok && changed) verify(id, want);
                });
  }

  // Chargers whose quirk profile says a session starts only by RemoteStartTransaction, or pauses only by
  // RemoteStopTransaction, get those besides the 0 A profile.
  void sessions_by_command(const std::string& id, Session& s, double want, bool car,
                           std::optional<int> transaction) {
    if (!s.profile) return;
    const bool pause_by_stop = s.profile->pause == "remote_stop";
    if (want == 0 && transaction && pause_by_stop && !s.remote_stopped) {
      s.remote_stopped = true;
      log::info("ocpp: {}: pausing by RemoteStopTransaction (its quirk profile)", id);
      call(id, "RemoteStopTransaction", {{"transactionId", *transaction}});
    }
    const bool start = s.profile->remote_start || (pause_by_stop && s.remote_stopped);
    if (want > 0 && car && !transaction && start && (!s.remote_started || s.remote_stopped)) {
      s.remote_started = true;
      s.remote_stopped = false;
      log::info("ocpp: {}: starting the session by RemoteStartTransaction", id);
      call(id, "RemoteStartTransaction", {{"connectorId", 1}, {"idTag", own_tag()}});
    }
  }

  // The idTag hemd starts sessions with: one it accepts itself.
  std::string own_tag() const { return options.id_tags.empty() ? "hemd" : options.id_tags.front(); }

  void do_act(const std::string& id, Action a) {
    std::optional<int> transaction;
    {
      std::lock_guard lock(mutex);
      transaction = view(id).transaction_id;
    }
    auto report = [this, id](const std::string& action) {
      return [this, id, action](const json& r) {
        const std::string status = r.value("status", "");
        const bool ok = status == "Accepted" || status == "Unlocked" || status == "Scheduled";
        if (ok) log::notice("ocpp: {}: {}: {}", id, action, status);
        if (!ok) {
          log::warning("ocpp: {}: {}: {}", id, action, status);
          std::lock_guard lock(mutex);
          view(id).last_error = action + ": " + status;
        }
      };
    };
    switch (a) {
      case Action::start_session:
        call(id, "RemoteStartTransaction", {{"connectorId", 1}, {"idTag", own_tag()}},
             report("start session"));
        break;
      case Action::stop_session:
        if (!transaction) return log::notice("ocpp: {}: stop session: no session running", id);
        call(id, "RemoteStopTransaction", {{"transactionId", *transaction}}, report("stop session"));
        break;
      case Action::restart:
      case Action::hard_restart:
        call(id, "Reset", {{"type", a == Action::restart ? "Soft" : "Hard"}}, report("restart"));
        break;
      case Action::unlock:
        call(id, "UnlockConnector", {{"connectorId", 1}}, report("unlock"));
        break;
      case Action::enable:
      case Action::disable: {
        const bool on = a == Action::enable;
        call(id, "ChangeAvailability", {{"connectorId", 0}, {"type", on ? "Operative" : "Inoperative"}},
             [this, id, on, done = report(on ? "enable" : "disable")](const json& r) {
               done(r);
               if (r.value("status", "") == "Rejected") return;
               std::lock_guard lock(mutex);
               view(id).available = on;
             });
        break;
      }
    }
  }

  void on_tick() {
    const std::int64_t t = now();
    for (auto& [id, s] : sessions) {
      if (!s.open) continue;
      if (s.outstanding && t - s.outstanding->sent_ms > options.call_timeout_s * 1000) {
        log::warning("ocpp: {}: no answer to {} within {} s; going on", id, s.outstanding->action,
                     options.call_timeout_s);
        s.outstanding.reset();
        pump(id);
      }
      std::int64_t seen;
      {
        std::lock_guard lock(mutex);
        seen = view(id).last_seen_ms;
      }
      if (t - seen > (2 * options.heartbeat_s + 30) * 1000LL) {
        log::warning("ocpp: {} has been silent for {} s: offline", id, (t - seen) / 1000);
        websocketpp::lib::error_code ec;
        server.close(s.hdl, websocketpp::close::status::going_away, "silent", ec);
        mark_closed(id);
        continue;
      }
      update(id);
    }
    tick = server.set_timer(1000, [this](const websocketpp::lib::error_code& ec) {
      if (!ec) on_tick();
    });
  }

  void mark_closed(const std::string& id) {
    Session& s = sessions[id];
    s.open = false;
    s.configured = false;
    s.outstanding.reset();
    s.queue.clear();
    std::lock_guard lock(mutex);
    view(id).connected = false;
  }

  bool validate(Hdl h) {
    auto con = server.get_con_from_hdl(h);
    std::string resource = con->get_resource();
    resource = resource.substr(0, resource.find('?'));
    const std::string prefix = options.path + "/";
    const std::string id = resource.rfind(prefix, 0) == 0 ? resource.substr(prefix.size()) : "";
    auto refuse = [&](websocketpp::http::status_code::value code, const std::string& why) {
      log::warning("ocpp: connection from {} to {} refused: {}", con->get_remote_endpoint(), resource, why);
      con->set_status(code);
      con->set_body(why + "\n");
      return false;
    };
    auto setup = setups.find(id);
    if (id.empty() || setup == setups.end())
      return refuse(websocketpp::http::status_code::not_found,
                    "unknown charge point '" + id + "': add it to chargers in hemd.yaml");
    const auto& protocols = con->get_requested_subprotocols();
    if (std::find(protocols.begin(), protocols.end(), "ocpp1.6") == protocols.end())
      return refuse(websocketpp::http::status_code::bad_request,
                    "the WebSocket subprotocol must be ocpp1.6 (Sec-WebSocket-Protocol)");
    if constexpr (tls) {
      // Security profile 3: the certificate names the charge point it was issued to.
      if (!options.tls->client_ca.empty()) {
        std::string cn;
        if (X509* cert = SSL_get1_peer_certificate(con->get_socket().native_handle())) {
          char buf[256] = {};
          if (X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, buf, sizeof buf) > 0)
            cn = buf;
          X509_free(cert);
        }
        if (cn != id)
          return refuse(websocketpp::http::status_code::forbidden,
                        "the client certificate is for '" + cn + "', not for charge point " + id);
      }
    }
    if (!setup->second.password.empty()) {
      const std::string auth = con->get_request_header("Authorization");
      const std::string expected = websocketpp::base64_encode(id + ":" + setup->second.password);
      if (auth.rfind("Basic ", 0) != 0) {
        con->append_header("WWW-Authenticate", "Basic realm=\"hemd\"");
        return refuse(websocketpp::http::status_code::unauthorized,
                      "charge point " + id + " sent no password");
      }
      if (auth.substr(6) != expected) {
        con->append_header("WWW-Authenticate", "Basic realm=\"hemd\"");
        return refuse(websocketpp::http::status_code::unauthorized, "wrong password for charge point " + id);
      }
    }
    con->select_subprotocol("ocpp1.6");
    ids[h] = id;
    return true;
  }

  void on_open(Hdl h) {
    const std::string id = ids.at(h);
    Session& s = sessions[id];
    if (s.open) {
      // The charger reconnected before hemd noticed the old connection die: the new one wins.
      websocketpp::lib::error_code ec;
      server.close(s.hdl, websocketpp::close::status::going_away, "replaced", ec);
    }
    s.hdl = h;
    s.open = true;
    s.configured = false;
    s.sent_a.reset();
    {
      std::lock_guard lock(mutex);
      ChargerView& v = view(id);
      v.connected = true;
      v.last_seen_ms = now();
    }
    log::notice("ocpp: {} connected", id);
    // A charger that reconnects without booting is configured again all the same; the limit is re-sent.
    server.set_timer(10'000, [this, id, h](const websocketpp::lib::error_code& ec) {
      Session& s = sessions[id];
      if (ec || !s.open || s.configured || s.hdl.owner_before(h) || h.owner_before(s.hdl)) return;
      bool booted;
      {
        std::lock_guard lock(mutex);
        booted = view(id).booted;
      }
      if (!booted) call(id, "TriggerMessage", {{"requestedMessage", "BootNotification"}});
      configure(id);
    });
  }

  void on_close(Hdl h) {
    auto it = ids.find(h);
    if (it == ids.end()) return;
    const std::string id = it->second;
    ids.erase(it);
    Session& s = sessions[id];
    if (s.hdl.owner_before(h) || h.owner_before(s.hdl)) return;  // an older, replaced connection
    mark_closed(id);
    log::warning("ocpp: {} disconnected; its last limit stays counted until it is back", id);
  }
  Endpoint(CsmsOptions o, std::vector<ChargerSetup> chargers, config::ProfileSet p,
           Csms::SessionSink session_sink, Csms::WallClock wall_clock, Csms::LearntSink learnt_sink) {
    learnt = std::move(learnt_sink);
    options = std::move(o);
    for (auto& c : chargers) {
      charger_views[c.id] = ChargerView{};
      setups.emplace(c.id, std::move(c));
    }
    profiles = std::move(p);
    sink = std::move(session_sink);
    clock = wall_clock ? std::move(wall_clock) : Csms::WallClock(wall_ms);
    next_transaction = static_cast<int>((clock() / 1000) % 1'000'000'000);
    server.clear_access_channels(websocketpp::log::alevel::all);
    server.clear_error_channels(websocketpp::log::elevel::all);
    server.init_asio();
    server.set_reuse_addr(true);
    server.set_max_message_size(options.max_frame_bytes);
    server.set_validate_handler([this](Hdl h) { return validate(h); });
    server.set_open_handler([this](Hdl h) { on_open(h); });
    server.set_close_handler([this](Hdl h) { on_close(h); });
    server.set_fail_handler([this](Hdl h) { ids.erase(h); });
    server.set_message_handler([this](Hdl h, typename Server::message_ptr m) { on_message(h, m); });
    server.set_pong_handler([this](Hdl h, std::string) {
      auto it = ids.find(h);
      if (it == ids.end()) return true;
      std::lock_guard lock(mutex);
      charger_views[it->second].last_seen_ms = now();
      return true;
    });
    if constexpr (tls) {
      auto context = tls_context(*options.tls);
      server.set_tls_init_handler([context](Hdl) { return context; });
    }
  }

  ~Endpoint() override { stop(); }

  void start() override {
    websocketpp::lib::asio::error_code asio_ec;
    const auto address = websocketpp::lib::asio::ip::make_address(options.address, asio_ec);
    if (asio_ec)
      throw std::runtime_error("ocpp.listen_address " + options.address + ": " + asio_ec.message());
    websocketpp::lib::error_code ec;
    server.listen(
        websocketpp::lib::asio::ip::tcp::endpoint(address, static_cast<unsigned short>(options.port)), ec);
    if (ec)
      throw std::runtime_error(
          fmt::format("cannot listen on {}:{}: {}", options.address, options.port, ec.message()));
    bound_port = server.get_local_endpoint(asio_ec).port();
    server.start_accept();
    on_tick();
    thread = std::thread([this] { server.run(); });
    log::notice("ocpp: listening on {}://{}:{}{}/<charge point id>{}", tls ? "wss" : "ws", options.address,
                bound_port, options.path,
                tls ? (options.tls->client_ca.empty() ? " (TLS, security profile 2)"
                                                      : " (TLS with client certificates, security profile 3)")
                    : "");
  }

  int port() const override { return bound_port; }

  std::map<std::string, ChargerView> views() const override {
    std::lock_guard lock(mutex);
    return charger_views;
  }

  void set_limit(const std::string& id, double amps, int phases) override {
    {
      std::lock_guard lock(mutex);
      auto it = desired.find(id);
      auto ph = desired_phases.find(id);
      const bool same_phases =
          phases == 0 ? ph == desired_phases.end() : ph != desired_phases.end() && ph->second == phases;
      if (it != desired.end() && it->second == amps && same_phases) return;
      desired[id] = amps;
      if (phases == 0)
        desired_phases.erase(id);
      else
        desired_phases[id] = phases;
    }
    // Handled on the server's thread at once, so a cut reaches the charger within the same cycle.
    websocketpp::lib::asio::post(server.get_io_service(), [this, id] { update(id); });
  }

  bool act(const std::string& id, Action action) override {
    if (!setups.count(id)) return false;
    websocketpp::lib::asio::post(server.get_io_service(), [this, id, action] { do_act(id, action); });
    return true;
  }

  void stop() override {
    if (!thread.joinable()) return;
    websocketpp::lib::asio::post(server.get_io_service(), [this] {
      websocketpp::lib::error_code ec;
      server.stop_listening(ec);
      if (tick) tick->cancel();
      for (auto& [id, s] : sessions)
        if (s.open) server.close(s.hdl, websocketpp::close::status::going_away, "hemd stopping", ec);
    });
    // Closing handshakes get a moment; then the loop is stopped whatever remains.
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    server.stop();
    thread.join();
  }
};

}  // namespace

Csms::Csms(CsmsOptions options, std::vector<ChargerSetup> chargers, config::ProfileSet profiles,
           SessionSink sink, WallClock clock, LearntSink learnt) {
  if (options.tls)
    impl_ = std::make_unique<Endpoint<websocketpp::config::asio_tls>>(std::move(options), std::move(chargers),
                                                                      std::move(profiles), std::move(sink),
                                                                      std::move(clock), std::move(learnt));
  else
    impl_ = std::make_unique<Endpoint<websocketpp::config::asio>>(std::move(options), std::move(chargers),
                                                                  std::move(profiles), std::move(sink),
                                                                  std::move(clock), std::move(learnt));
}

Csms::~Csms() = default;

void Csms::start() {
  impl_->start();
}

int Csms::port() const {
  return impl_->port();
}

std::map<std::string, ChargerView> Csms::views() const {
  return impl_->views();
}

void Csms::set_limit(const std::string& id, double amps, int phases) {
  impl_->set_limit(id, amps, phases);
}

bool Csms::act(const std::string& id, Action action) {
  return impl_->act(id, action);
}

void Csms::stop() {
  impl_->stop();
}

}  // namespace hemd::ocpp
