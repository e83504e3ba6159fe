#include "sim/charge_point.h"

#include <fmt/format.h>

#include <algorithm>
#include <deque>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <websocketpp/base64/base64.hpp>
#include <websocketpp/client.hpp>
#include <websocketpp/config/asio_no_tls_client.hpp>

#include "drivers/log/log.h"
#include "drivers/log/wall_clock.h"
#include "drivers/ocpp/frame.h"
#include "drivers/ocpp/schema.h"

namespace hemd::ocpp {

namespace {

using json = nlohmann::json;
using Client = websocketpp::client<websocketpp::config::asio_client>;
using Hdl = websocketpp::connection_hdl;

// When a profile's schedule starts: its startSchedule, or (Relative, or none given) when it was received.
std::int64_t schedule_start(const ChargingProfileRecord& r) {
  const auto& s = r.profile.at("chargingSchedule");
  if (r.profile.value("chargingProfileKind", "") != "Relative" && s.contains("startSchedule"))
    if (auto t = parse_iso_time(s["startSchedule"].get<std::string>())) return *t;
  return r.received_ms;
}

bool in_validity(const json& p, std::int64_t now) {
  auto bound = [&](const char* key) {
    return p.contains(key) ? parse_iso_time(p[key].get<std::string>()) : std::nullopt;
  };
  const auto from = bound("validFrom"), to = bound("validTo");
  return (!from || now >= *from) && (!to || now < *to);
}

// The limit in amps the profile sets at `now`, or nullopt when it is not in force.
std::optional<double> profile_limit(const ChargingProfileRecord& r, std::int64_t now, int phases,
                                    double volts) {
  if (!in_validity(r.profile, now)) return std::nullopt;
  const auto& s = r.profile.at("chargingSchedule");
  const double elapsed_s = (now - schedule_start(r)) / 1000.0;
  if (elapsed_s < 0) return std::nullopt;
  if (s.contains("duration") && elapsed_s >= s["duration"].get<double>()) return std::nullopt;
  const json* in_force = nullptr;
  for (const auto& p : s.at("chargingSchedulePeriod"))
    if (p.at("startPeriod").get<double>() <= elapsed_s) in_force = &p;
  if (!in_force) return std::nullopt;
  const double limit = in_force->at("limit").get<double>();
  if (s.value("chargingRateUnit", "A") != "W") return limit;
  return limit / volts / in_force->value("numberPhases", phases);
}

std::optional<double> highest_in_force(const std::vector<ChargingProfileRecord>& profiles,
                                       const char* purpose, std::int64_t now, std::optional<int> tx,
                                       int phases, double volts) {
  std::optional<double> limit;
  int level = -1;
  for (const auto& r : profiles) {
    const auto& p = r.profile;
    if (p.value("chargingProfilePurpose", "") != purpose || p.value("stackLevel", 0) <= level) continue;
    if (std::string(purpose) == "TxProfile" &&
        (!tx || (p.contains("transactionId") && p["transactionId"].get<int>() != *tx)))
      continue;
    if (auto l = profile_limit(r, now, phases, volts)) {
      limit = l;
      level = p.value("stackLevel", 0);
    }
  }
  return limit;
}

}  // namespace

double composite_limit_a(const std::vector<ChargingProfileRecord>& profiles, std::int64_t now_ms,
                         std::optional<int> transaction_id, double max_a, int phases, double voltage_v) {
  auto tx = highest_in_force(profiles, "TxProfile", now_ms, transaction_id, phases, voltage_v);
  if (!tx) tx = highest_in_force(profiles, "TxDefaultProfile", now_ms, transaction_id, phases, voltage_v);
  const auto cap =
      highest_in_force(profiles, "ChargePointMaxProfile", now_ms, transaction_id, phases, voltage_v);
  return std::min({tx.value_or(max_a), cap.value_or(max_a), max_a});
}

struct ChargePoint::Impl {
  struct Outgoing {
    std::string action;
    json payload;
    std::function<void(const json&)> on_result;
  };

  ChargePointOptions o;
  WallClock clock;
  Schemas schemas;
  Client client;
  std::thread thread;
  Hdl hdl;
  bool open = false, is_booted = false;
  std::int64_t retry_at = 0, next_heartbeat = 0, next_meter = 0;
  int heartbeat_s = 60;
  int next_id = 1;
  std::deque<Outgoing> queue;
  std::optional<std::pair<std::string, Outgoing>> outstanding;
  std::map<std::string, std::pair<std::string, bool>> configuration;  // key -> value, read-only
  std::string reported_status;
  bool starting = false, stopped_remotely = false, inoperative = false;
  bool stopping = false;

  mutable std::mutex mutex;  // guards what the world and the io thread share:
  ChargePointMeter meter;
  std::vector<ChargingProfileRecord> profiles;
  std::optional<int> transaction_id;
  bool link_up = false, booted_flag = false;

  std::int64_t now() const { return clock(); }

  double limit_locked() const {
    if (inoperative) return 0;
    return composite_limit_a(profiles, now(), transaction_id, o.max_current_a, o.phases, o.voltage_v);
  }

  void send_call(const std::string& action, json payload,
                 std::function<void(const json&)> on_result = nullptr) {
    queue.push_back({action, std::move(payload), std::move(on_result)});
    pump();
  }

  void pump() {
    if (!open || outstanding || queue.empty()) return;
    Outgoing out = std::move(queue.front());
    queue.pop_front();
    if (auto v = schemas.check(out.action, false, out.payload))
      log::error("charge point {}: not sending {}: {}", o.id, out.action, v->description);
    const std::string id = fmt::format("{}-{}", o.id, next_id++);
    send_text(call_frame(id, out.action, out.payload));
    outstanding = std::make_pair(id, std::move(out));
  }

  void send_text(const std::string& text) {
    websocketpp::lib::error_code ec;
    client.send(hdl, text, websocketpp::frame::opcode::text, ec);
  }

  void connect() {
    websocketpp::lib::error_code ec;
    auto con = client.get_connection(o.url + "/" + o.id, ec);
    if (ec) {
      log::warning("charge point {}: {}: {}", o.id, o.url, ec.message());
      return;
    }
    con->add_subprotocol("ocpp1.6", ec);
    if (!o.password.empty())
      con->append_header("Authorization", "Basic " + websocketpp::base64_encode(o.id + ":" + o.password));
    client.connect(con);
  }

  void boot() {
    send_call("BootNotification", {{"chargePointVendor", o.vendor}, {"chargePointModel", o.model}},
              [this](const json& r) {
                if (r.value("status", "") != "Accepted") return;
                heartbeat_s = std::max(1, r.value("interval", 60));
                is_booted = true;
                reported_status.clear();  // report the connector again
                std::lock_guard lock(mutex);
                booted_flag = true;
              });
  }

  std::string status_now(const ChargePointMeter& m, double limit) const {
    if (inoperative) return "Unavailable";
    if (!m.car_plugged) return "Available";
    if (!transaction_id) return stopped_remotely ? "Finishing" : "Preparing";
    if (m.current_a[0] + m.current_a[1] + m.current_a[2] > 0.5) return "Charging";
    return limit < 6 ? "SuspendedEVSE" : "SuspendedEV";
  }

  void status_notification(const std::string& status) {
    send_call(
        "StatusNotification",
        {{"connectorId", 1}, {"errorCode", "NoError"}, {"status", status}, {"timestamp", iso_time(now())}});
  }

  json meter_values(const ChargePointMeter& m) const {
    const std::string wanted = configuration.at("MeterValuesSampledData").first;
    auto want = [&](const char* measurand) { return wanted.find(measurand) != std::string::npos; };
    json sampled = json::array();
    auto add = [&](double value, const char* measurand, const char* unit, const char* phase) {
      json v = {{"value", fmt::format("{:.2f}", value)},
                {"context", "Sample.Periodic"},
                {"measurand", measurand},
                {"unit", unit}};
      if (phase) v["phase"] = phase;
      sampled.push_back(std::move(v));
    };
    add(m.energy_wh, "Energy.Active.Import.Register", "Wh", nullptr);
    double power = 0;
    for (double a : m.current_a) power += a * o.voltage_v;
    if (want("Power.Active.Import")) add(power, "Power.Active.Import", "W", nullptr);
    static const char* const lines[] = {"L1", "L2", "L3"};
    static const char* const to_n[] = {"L1-N", "L2-N", "L3-N"};
    for (int ph = 0; ph < 3; ++ph) {
      if (want("Current.Import")) add(m.current_a[ph], "Current.Import", "A", lines[ph]);
      if (want("Voltage")) add(o.voltage_v, "Voltage", "V", to_n[ph]);
    }
    if (want("SoC") && m.soc_pct) add(*m.soc_pct, "SoC", "Percent", nullptr);
    json payload = {
        {"connectorId", 1},
        {"meterValue", json::array({{{"timestamp", iso_time(now())}, {"sampledValue", sampled}}})}};
    if (transaction_id) payload["transactionId"] = *transaction_id;
    return payload;
  }

  void start_transaction(const std::string& tag, double meter_wh) {
    starting = true;
    send_call("StartTransaction",
              {{"connectorId", 1},
               {"idTag", tag},
               {"meterStart", static_cast<int>(meter_wh)},
               {"timestamp", iso_time(now())}},
              [this](const json& r) {
                starting = false;
                if (r.at("idTagInfo").value("status", "") != "Accepted") {
                  stopped_remotely = true;  // not authorised: wait for the car to leave
                  return;
                }
                std::lock_guard lock(mutex);
                transaction_id = r.value("transactionId", 0);
              });
  }

  void stop_transaction(const char* reason, double meter_wh) {
    std::optional<int> tx;
    {
      std::lock_guard lock(mutex);
      tx.swap(transaction_id);
      profiles.erase(std::remove_if(profiles.begin(), profiles.end(),
                                    [](const ChargingProfileRecord& r) {
                                      return r.profile.value("chargingProfilePurpose", "") == "TxProfile";
                                    }),
                     profiles.end());
    }
    if (!tx) return;
    send_call("StopTransaction", {{"transactionId", *tx},
                                  {"meterStop", static_cast<int>(meter_wh)},
                                  {"timestamp", iso_time(now())},
                                  {"reason", reason}});
  }

  // Every 200 ms: reconnect, report what changed, meter values and heartbeats when they are due.
  void on_tick() {
    if (stopping) return;
    const std::int64_t t = now();
    if (!open && t >= retry_at) {
      retry_at = t + o.reconnect_ms;
      connect();
    }
    if (open && is_booted) {
      ChargePointMeter m;
      double limit;
      bool in_tx;
      {
        std::lock_guard lock(mutex);
        m = meter;
        limit = limit_locked();
        in_tx = transaction_id.has_value();
      }
      if (!m.car_plugged) stopped_remotely = false;
      if (m.car_plugged && !in_tx && !starting && !stopped_remotely && !inoperative)
        start_transaction(o.id_tag, m.energy_wh);
      if (!m.car_plugged && in_tx) stop_transaction("EVDisconnected", m.energy_wh);
      const std::string status = status_now(m, limit);
      if (status != reported_status) {
        reported_status = status;
        status_notification(status);
      }
      if (t >= next_meter) {
        next_meter =
            t + 1000LL * std::max(1, std::atoi(configuration.at("MeterValueSampleInterval").first.c_str()));
        send_call("MeterValues", meter_values(m));
      }
      if (t >= next_heartbeat) {
        next_heartbeat = t + heartbeat_s * 1000LL;
        send_call("Heartbeat", json::object());
      }
    }
    client.set_timer(200, [this](const websocketpp::lib::error_code& ec) {
      if (!ec) on_tick();
    });
  }

  void on_message(const std::string& text) {
    const Frame f = parse_frame(text);
    if (const auto* c = std::get_if<Call>(&f)) {
      if (auto v = schemas.check(c->action, false, c->payload))
        return send_text(error_frame(c->id, v->code, v->description));
      json reply;
      if (!answer(*c, reply)) return send_text(error_frame(c->id, "NotImplemented", c->action));
      send_text(result_frame(c->id, reply));
      return;
    }
    if (const auto* r = std::get_if<CallResult>(&f)) {
      if (outstanding && outstanding->first == r->id) {
        auto done = std::move(outstanding->second.on_result);
        outstanding.reset();
        if (done) done(r->payload);
      }
    } else if (std::holds_alternative<CallError>(f)) {
      if (outstanding && outstanding->second.action == "StartTransaction") starting = false;
      outstanding.reset();
    }
    pump();
  }

  bool set_profile(const json& req) {
    const int connector = req.value("connectorId", 0);
    const json& p = req.at("csChargingProfiles");
    const std::string purpose = p.value("chargingProfilePurpose", "");
    const auto& s = p.at("chargingSchedule");
    std::lock_guard lock(mutex);
    if (p.value("stackLevel", 0) > o.max_stack_level ||
        static_cast<int>(s.at("chargingSchedulePeriod").size()) > o.max_periods ||
        o.rate_units.find(s.value("chargingRateUnit", "A") == "W" ? "Power" : "Current") ==
            std::string::npos ||
        (purpose == "ChargePointMaxProfile" && connector != 0) || (purpose == "TxProfile" && !transaction_id))
      return false;
    // A profile replaces the one with its id, and the one of its purpose and stack level.
    profiles.erase(std::remove_if(profiles.begin(), profiles.end(),
                                  [&](const ChargingProfileRecord& r) {
                                    return r.profile.value("chargingProfileId", -1) ==
                                               p.value("chargingProfileId", -2) ||
                                           (r.profile.value("chargingProfilePurpose", "") == purpose &&
                                            r.profile.value("stackLevel", -1) == p.value("stackLevel", -2));
                                  }),
                   profiles.end());
    profiles.push_back({connector, p, now()});
    return true;
  }

  bool clear_profiles(const json& req) {
    std::lock_guard lock(mutex);
    const auto before = profiles.size();
    profiles.erase(
        std::remove_if(
            profiles.begin(), profiles.end(),
            [&](const ChargingProfileRecord& r) {
              const auto& p = r.profile;
              return (!req.contains("id") || p.value("chargingProfileId", -1) == req["id"].get<int>()) &&
                     (!req.contains("connectorId") || r.connector == req["connectorId"].get<int>()) &&
                     (!req.contains("chargingProfilePurpose") ||
                      p.value("chargingProfilePurpose", "") == req["chargingProfilePurpose"]) &&
                     (!req.contains("stackLevel") ||
                      p.value("stackLevel", -1) == req["stackLevel"].get<int>());
            }),
        profiles.end());
    return profiles.size() != before;
  }

  // What the charger will allow over the next `duration` seconds: the composite limit at every moment a
  // profile or period begins or ends.
  json composite_schedule(const json& req) {
    const std::int64_t t0 = now();
    const int duration = req.value("duration", 0);
    const bool watts = req.value("chargingRateUnit", "A") == "W";
    std::lock_guard lock(mutex);
    std::set<std::int64_t> moments{t0};
    for (const auto& r : profiles) {
      const std::int64_t start = schedule_start(r);
      const auto& s = r.profile.at("chargingSchedule");
      for (const auto& p : s.at("chargingSchedulePeriod"))
        moments.insert(start + static_cast<std::int64_t>(p.at("startPeriod").get<double>() * 1000));
      if (s.contains("duration"))
        moments.insert(start + static_cast<std::int64_t>(s["duration"].get<double>() * 1000));
    }
    json periods = json::array();
    std::optional<double> last;
    for (std::int64_t m : moments) {
      if (m < t0 || m >= t0 + duration * 1000LL) continue;
      double a = inoperative
                     ? 0
                     : composite_limit_a(profiles, m, transaction_id, o.max_current_a, o.phases, o.voltage_v);
      if (last && *last == a) continue;
      last = a;
      const double limit = watts ? std::round(a * o.voltage_v * o.phases) : std::round(a * 10) / 10;
      periods.push_back({{"startPeriod", (m - t0) / 1000}, {"limit", limit}, {"numberPhases", o.phases}});
    }
    return {{"status", "Accepted"},
            {"connectorId", req.value("connectorId", 0)},
            {"scheduleStart", iso_time(t0)},
            {"chargingSchedule",
             {{"duration", duration},
              {"startSchedule", iso_time(t0)},
              {"chargingRateUnit", watts ? "W" : "A"},
              {"chargingSchedulePeriod", periods}}}};
  }

  void reboot() {
    websocketpp::lib::error_code ec;
    client.close(hdl, websocketpp::close::status::service_restart, "reset", ec);
  }

  // Answers a CALL from the central system; false for an action this charger does not implement.
  bool answer(const Call& c, json& reply) {
    const json& req = c.payload;
    ChargePointMeter m;
    {
      std::lock_guard lock(mutex);
      m = meter;
    }
    if (c.action == "GetConfiguration") {
      json known = json::array(), unknown = json::array();
      for (const auto& [key, value] : configuration) {
        const auto& asked = req.value("key", json::array());
        if (!asked.empty() && std::find(asked.begin(), asked.end(), key) == asked.end()) continue;
        known.push_back({{"key", key}, {"readonly", value.second}, {"value", value.first}});
      }
      for (const auto& key : req.value("key", json::array()))
        if (!configuration.count(key.get<std::string>())) unknown.push_back(key);
      reply = {{"configurationKey", known}};
      if (!unknown.empty()) reply["unknownKey"] = unknown;
    } else if (c.action == "ChangeConfiguration") {
      auto it = configuration.find(req.value("key", ""));
      const char* status = it == configuration.end() ? "NotSupported"
                           : it->second.second       ? "Rejected"
                                                     : "Accepted";
      if (std::string(status) == "Accepted") it->second.first = req.value("value", "");
      reply = {{"status", status}};
    } else if (c.action == "SetChargingProfile") {
      reply = {{"status", set_profile(req) ? "Accepted" : "Rejected"}};
    } else if (c.action == "ClearChargingProfile") {
      reply = {{"status", clear_profiles(req) ? "Accepted" : "Unknown"}};
    } else if (c.action == "GetCompositeSchedule") {
      reply = composite_schedule(req);
    } else if (c.action == "TriggerMessage") {
      const std::string what = req.value("requestedMessage", "");
      const bool ok = what == "BootNotification" || what == "Heartbeat" || what == "StatusNotification" ||
                      what == "MeterValues";
      reply = {{"status", ok ? "Accepted" : "NotImplemented"}};
      if (what == "BootNotification") boot();
      if (what == "Heartbeat") next_heartbeat = 0;
      if (what == "MeterValues") next_meter = 0;
      if (what == "StatusNotification") reported_status.clear();
    } else if (c.action == "RemoteStartTransaction") {
      bool in_tx;
      {
        std::lock_guard lock(mutex);
        in_tx = transaction_id.has_value();
      }
      const bool ok = m.car_plugged && !in_tx && !starting && !inoperative;
      reply = {{"status", ok ? "Accepted" : "Rejected"}};
      if (ok) {
        stopped_remotely = false;
        start_transaction(req.value("idTag", o.id_tag), m.energy_wh);
      }
    } else if (c.action == "RemoteStopTransaction") {
      bool match;
      {
        std::lock_guard lock(mutex);
        match = transaction_id && *transaction_id == req.value("transactionId", -1);
      }
      reply = {{"status", match ? "Accepted" : "Rejected"}};
      if (match) {
        stopped_remotely = true;
        stop_transaction("Remote", m.energy_wh);
      }
    } else if (c.action == "ChangeAvailability") {
      {
        std::lock_guard lock(mutex);
        inoperative = req.value("type", "") == "Inoperative";
      }
      reply = {{"status", "Accepted"}};
    } else if (c.action == "Reset") {
      reply = {{"status", "Accepted"}};
      if (req.value("type", "") == "Hard") {
        std::lock_guard lock(mutex);
        profiles.clear();
      }
      client.set_timer(100, [this](const websocketpp::lib::error_code& ec) {
        if (!ec) reboot();
      });
    } else if (c.action == "UnlockConnector") {
      stop_transaction("UnlockCommand", m.energy_wh);
      stopped_remotely = true;
      reply = {{"status", "Unlocked"}};
    } else if (c.action == "DataTransfer") {
      reply = {{"status", "UnknownVendorId"}};
    } else {
      return false;
    }
    return true;
  }

  void on_open(Hdl h) {
    hdl = h;
    open = true;
    is_booted = false;
    outstanding.reset();
    queue.clear();
    next_meter = next_heartbeat = 0;
    {
      std::lock_guard lock(mutex);
      link_up = true;
      booted_flag = false;
    }
    boot();
  }

  void on_closed() {
    open = false;
    starting = false;
    is_booted = false;
    std::lock_guard lock(mutex);
    link_up = booted_flag = false;
  }
};

ChargePoint::ChargePoint(ChargePointOptions o, WallClock clock) : impl_(std::make_unique<Impl>()) {
  auto& i = *impl_;
  i.o = std::move(o);
  i.clock = clock ? std::move(clock) : WallClock(wall_ms);
  i.configuration = {
      {"ChargeProfileMaxStackLevel", {std::to_string(i.o.max_stack_level), true}},
      {"ChargingScheduleAllowedChargingRateUnit", {i.o.rate_units, true}},
      {"ChargingScheduleMaxPeriods", {std::to_string(i.o.max_periods), true}},
      {"MaxChargingProfilesInstalled", {"10", true}},
      {"SupportedFeatureProfiles", {"Core,SmartCharging,RemoteTrigger", true}},
      {"MeterValuesSampledData", {"Energy.Active.Import.Register", false}},
      {"MeterValueSampleInterval", {"60", false}},
      {"HeartbeatInterval", {"60", false}},
  };
  auto& c = i.client;
  c.clear_access_channels(websocketpp::log::alevel::all);
  c.clear_error_channels(websocketpp::log::elevel::all);
  c.init_asio();
  c.start_perpetual();
  c.set_open_handler([this](Hdl h) { impl_->on_open(h); });
  c.set_close_handler([this](Hdl) { impl_->on_closed(); });
  c.set_fail_handler([this](Hdl) { impl_->on_closed(); });
  c.set_message_handler([this](Hdl, Client::message_ptr m) { impl_->on_message(m->get_payload()); });
}

ChargePoint::~ChargePoint() {
  stop();
}

void ChargePoint::start() {
  if (impl_->thread.joinable()) return;
  websocketpp::lib::asio::post(impl_->client.get_io_service(), [this] { impl_->on_tick(); });
  impl_->thread = std::thread([this] { impl_->client.run(); });
}

void ChargePoint::stop() {
  if (!impl_->thread.joinable()) return;
  websocketpp::lib::asio::post(impl_->client.get_io_service(), [this] {
    impl_->stopping = true;
    websocketpp::lib::error_code ec;
    if (impl_->open) impl_->client.close(impl_->hdl, websocketpp::close::status::going_away, "stopping", ec);
    impl_->client.stop_perpetual();
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  impl_->client.stop();
  impl_->thread.join();
}

void ChargePoint::set_meter(const ChargePointMeter& m) {
  std::lock_guard lock(impl_->mutex);
  impl_->meter = m;
}

double ChargePoint::limit_a() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->limit_locked();
}

bool ChargePoint::connected() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->link_up;
}

bool ChargePoint::booted() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->booted_flag;
}

}  // namespace hemd::ocpp
