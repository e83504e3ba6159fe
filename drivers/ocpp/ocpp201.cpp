// OCPP 2.0.1: a charging station's messages in the plain charger model of 1.6 (the strategies see no
// difference), and hemd's wishes spelt for it. A car that talks ISO 15118 says when it leaves and how much
// energy it wants (NotifyEVChargingNeeds): that becomes the planner's need for it.
#include <fmt/format.h>

#include <cmath>

#include "drivers/log/log.h"
#include "drivers/ocpp/central.h"

namespace hemd::ocpp {

namespace {

// What hemd answers or sends; the rest of 2.0.1's large schema set is not loaded (an action 2.0.1 defines
// gets NotSupported, one it does not NotImplemented).
const std::vector<std::string> actions = {"BootNotification",
                                          "Heartbeat",
                                          "StatusNotification",
                                          "Authorize",
                                          "TransactionEvent",
                                          "MeterValues",
                                          "NotifyReport",
                                          "NotifyEVChargingNeeds",
                                          "NotifyEVChargingSchedule",
                                          "NotifyChargingLimit",
                                          "ClearedChargingLimit",
                                          "SecurityEventNotification",
                                          "NotifyEvent",
                                          "FirmwareStatusNotification",
                                          "LogStatusNotification",
                                          "ReportChargingProfiles",
                                          "DataTransfer",
                                          "GetVariables",
                                          "SetVariables",
                                          "GetBaseReport",
                                          "SetChargingProfile",
                                          "ClearChargingProfile",
                                          "GetCompositeSchedule",
                                          "RequestStartTransaction",
                                          "RequestStopTransaction",
                                          "TriggerMessage",
                                          "Reset",
                                          "UnlockConnector",
                                          "ChangeAvailability"};

// Messages that only need acknowledging; an empty answer is their whole response.
bool acknowledged(const std::string& action) {
  return action == "NotifyEvent" || action == "FirmwareStatusNotification" ||
         action == "LogStatusNotification" || action == "ReportChargingProfiles" ||
         action == "ClearedChargingLimit";
}

std::vector<Sample> samples_of(const json& meter_values) {
  std::vector<Sample> out;
  for (const auto& mv : meter_values)
    for (const auto& sv : mv.at("sampledValue")) {
      double value = sv.at("value").get<double>();
      const auto unit = sv.value("unitOfMeasure", json::object());
      value *= std::pow(10.0, unit.value("multiplier", 0));
      const std::string u = unit.value("unit", "");
      if (u == "kWh" || u == "kW" || u == "kvarh" || u == "kVA") value *= 1000;
      // (No measurand: the energy register, as 2.0.1 says.)
      const auto measurand = sv.contains("measurand") ? parse<Measurand>(sv.value("measurand", ""))
                                                      : Measurand::Energy_Active_Import_Register;
      if (measurand) out.push_back({*measurand, phase_index(sv.value("phase", "")), value});
    }
  return out;
}

// A transaction's charging state as 1.6 names the connector's status.
ConnectorStatus status_of(const std::string& charging_state, const ChargerView& v) {
  using S = ConnectorStatus;
  if (charging_state == "Charging") return S::Charging;
  if (charging_state == "SuspendedEV") return S::SuspendedEV;
  if (charging_state == "SuspendedEVSE") return S::SuspendedEVSE;
  if (charging_state == "EVConnected") return S::Preparing;
  return v.car_connected ? S::Finishing : S::Available;  // Idle
}

class Ocpp201 final : public Dialect {
 public:
  explicit Ocpp201(Central& central) : Dialect(central) {}

  const Schemas& schemas() const override { return schemas_; }

  Answer answer(const std::string& id, Session& s, ChargerView& v, const Call& call) override {
    const json& p = call.payload;
    const std::string& action = call.action;
    Answer a;
    if (action == "BootNotification") {
      const auto& station = p.at("chargingStation");
      c.booted(id, s, v,
               {station.value("vendorName", ""), station.value("model", ""),
                station.value("firmwareVersion", ""), station.value("serialNumber", "")});
      a.payload = {
          {"status", "Accepted"}, {"currentTime", iso_time(c.now())}, {"interval", c.options().heartbeat_s}};
      a.booted = true;
    } else if (action == "Heartbeat") {
      a.payload = {{"currentTime", iso_time(c.now())}};
    } else if (action == "StatusNotification") {
      const auto status =
          parse<ConnectorStatus>(p.value("connectorStatus", "")).value_or(ConnectorStatus::Unavailable);
      // Occupied says a car is there; what it does is told by the transaction's charging state.
      if (status != ConnectorStatus::Occupied)
        c.connector_status(s, v, status);
      else if (!v.car_connected)
        c.connector_status(s, v, ConnectorStatus::Preparing);
      a.changed = true;
    } else if (action == "Authorize") {
      a.payload = {{"idTokenInfo", {{"status", token_status(p.at("idToken"))}}}};
    } else if (action == "TransactionEvent") {
      a = transaction_event(id, s, v, p);
    } else if (action == "MeterValues") {
      c.samples(id, s, v, samples_of(p.at("meterValue")));
    } else if (action == "NotifyEVChargingNeeds") {
      a.payload = {{"status", charging_needs(id, s, v, p)}};
      a.changed = true;
    } else if (action == "NotifyEVChargingSchedule") {
      a.payload = {{"status", "Accepted"}};
    } else if (action == "NotifyChargingLimit") {
      log::notice("ocpp: {}: a charging limit from {} is in force{}", id,
                  log::quoted(p["chargingLimit"].value("chargingLimitSource", "?"), 40),
                  p["chargingLimit"].value("isGridCritical", false) ? " (grid critical)" : "");
    } else if (action == "SecurityEventNotification") {
      log::warning("ocpp: {}: security event {} {}", id, log::quoted(p.value("type", ""), 50),
                   log::quoted(p.value("techInfo", ""), 120));
    } else if (action == "NotifyReport") {
      report(id, p);
    } else if (action == "DataTransfer") {
      a.payload = {{"status", "UnknownVendorId"}};
    } else if (!acknowledged(action)) {
      log::info("ocpp: {}: {} acknowledged", id, action);
    }
    return a;
  }

  // Smart charging's limits from the device model; the full configuration comes as NotifyReports.
  void learn(const std::string& id) override {
    json wanted = json::array();
    for (const char* variable : {"RateUnit", "PeriodsPerSchedule", "ProfileStackLevel"})
      wanted.push_back({{"component", {{"name", "SmartChargingCtrlr"}}}, {"variable", {{"name", variable}}}});
    c.call(
        id, {"GetVariables", {{"getVariableData", wanted}}},
        [this, id](const json& r) {
          Session& s = c.session(id);
          s.known.unit = RateUnit::A;
          const auto results = r.is_object() ? r.value("getVariableResult", json::array()) : json::array();
          for (const auto& x : results.is_array() ? results : json::array()) try {
              if (x.value("attributeStatus", "") != "Accepted") continue;
              const std::string name = x.value("variable", json::object()).value("name", ""),
                                value = x.value("attributeValue", "");
              if (name == "ProfileStackLevel") s.known.stack_level = std::max(0, std::atoi(value.c_str()));
              if (name == "PeriodsPerSchedule") s.known.max_periods = std::max(1, std::atoi(value.c_str()));
              if (name == "RateUnit" && value.find('A') == std::string::npos &&
                  value.find('W') != std::string::npos)
                s.known.unit = RateUnit::W;
            } catch (const std::exception&) {
              // a variable that cannot be read: the others still count
            }
          c.configure_with(id);
        },
        [this, id] { c.configure_with(id); });
    c.call(id, {"GetBaseReport", {{"requestId", ++request_id_}, {"reportBase", "ConfigurationInventory"}}});
  }

  void set_metering(const std::string& id, const std::vector<std::string>& measurands, int interval_s,
                    std::function<void(bool)> done) override {
    json data = json::array();
    auto set = [&](const char* variable, const std::string& value) {
      data.push_back({{"attributeValue", value},
                      {"component", {{"name", "SampledDataCtrlr"}}},
                      {"variable", {{"name", variable}}}});
    };
    if (interval_s > 0) set("TxUpdatedInterval", std::to_string(interval_s));
    if (!measurands.empty()) set("TxUpdatedMeasurands", fmt::format("{}", fmt::join(measurands, ",")));
    if (data.empty()) return done(true);
    const bool asked = !measurands.empty();
    c.call(
        id, {"SetVariables", {{"setVariableData", data}}},
        [id, done, asked](const json& r) {
          bool taken = !asked;
          for (const auto& x : r.value("setVariableResult", json::array())) {
            const std::string name = x.value("variable", json::object()).value("name", ""),
                              status = x.value("attributeStatus", "");
            if (name == "TxUpdatedMeasurands") taken = status == "Accepted" || status == "RebootRequired";
            if (status != "Accepted" && name != "TxUpdatedMeasurands")
              log::notice("ocpp: {}: SampledDataCtrlr.{}: {}", id, log::quoted(name, 40),
                          log::quoted(status, 40));
          }
          done(taken);
        },
        [done, asked] { done(!asked); });
  }

  Request availability(bool operative, bool connector_1) const override {
    json p = {{"operationalStatus", operative ? "Operative" : "Inoperative"}};
    if (connector_1) p["evse"] = {{"id", 1}, {"connectorId", 1}};
    return {"ChangeAvailability", p};
  }

  Request clear_default_profiles(int stack_level) const override {
    return {"ClearChargingProfile",
            {{"chargingProfileCriteria",
              {{"chargingProfilePurpose", word(Purpose::TxDefaultProfile)}, {"stackLevel", stack_level}}}}};
  }

  Request set_profile(const ProfileSpec& p) const override {
    json periods = json::array();
    for (const auto& x : p.periods) {
      // 2.0.1 takes at most one decimal.
      json period = {{"startPeriod", x.start_s}, {"limit", std::round(x.limit * 10) / 10}};
      if (x.phases) period["numberPhases"] = *x.phases;
      periods.push_back(period);
    }
    json schedule = {{"id", p.id}, {"chargingRateUnit", word(p.unit)}, {"chargingSchedulePeriod", periods}};
    if (p.start_ms) schedule["startSchedule"] = iso_time(*p.start_ms);
    if (p.duration_s) schedule["duration"] = *p.duration_s;
    // 2.0.1 names the installation's maximum for the station.
    const Purpose purpose =
        p.purpose == Purpose::ChargePointMaxProfile ? Purpose::ChargingStationMaxProfile : p.purpose;
    json profile = {{"id", p.id},
                    {"stackLevel", p.stack_level},
                    {"chargingProfilePurpose", word(purpose)},
                    {"chargingProfileKind", p.relative ? "Relative" : "Absolute"},
                    {"chargingSchedule", json::array({schedule})}};
    if (p.transaction) profile["transactionId"] = *p.transaction;
    return {"SetChargingProfile",
            {{"evseId", p.purpose == Purpose::TxProfile ? 1 : 0}, {"chargingProfile", profile}}};
  }

  Request composite_schedule(RateUnit unit, int duration_s) const override {
    return {"GetCompositeSchedule",
            {{"evseId", 1}, {"duration", duration_s}, {"chargingRateUnit", word(unit)}}};
  }

  std::optional<double> applied_a(const json& r, int phases) const override {
    if (r.value("status", "") != "Accepted" || !r.contains("schedule")) return std::nullopt;
    const auto& schedule = r["schedule"];
    const auto& periods = schedule.at("chargingSchedulePeriod");
    if (!periods.is_array() || periods.empty()) return std::nullopt;
    double applied = periods[0].value("limit", 0.0);
    if (parse<RateUnit>(schedule.value("chargingRateUnit", "")) == RateUnit::W)
      applied /= 230.0 * periods[0].value("numberPhases", phases);
    return applied;
  }

  Request start_session(const std::string& id_tag) override {
    return {"RequestStartTransaction",
            {{"idToken", {{"idToken", id_tag}, {"type", "Central"}}},
             {"remoteStartId", ++request_id_},
             {"evseId", 1}}};
  }
  Request stop_session(const std::string& transaction) const override {
    return {"RequestStopTransaction", {{"transactionId", transaction}}};
  }
  // 2.0.1 knows no soft reset: OnIdle would wait for the car to finish, which is not what a restart means.
  Request reset(bool) const override { return {"Reset", {{"type", "Immediate"}}}; }
  Request unlock() const override { return {"UnlockConnector", {{"evseId", 1}, {"connectorId", 1}}}; }
  Request trigger(const std::string& message) const override {
    json p = {{"requestedMessage", message}};
    if (message == "StatusNotification") p["evse"] = {{"id", 1}, {"connectorId", 1}};
    return {"TriggerMessage", p};
  }

 private:
  std::string token_status(const json& token) const {
    // A token of type NoAuthorization is a station that charges without one (free charging on its side).
    if (token.value("type", "") == "NoAuthorization") return "Accepted";
    return c.accepts(token.value("idToken", "")) ? "Accepted" : "Invalid";
  }

  Answer transaction_event(const std::string& id, Session& s, ChargerView& v, const json& p) {
    Answer a;
    a.changed = true;
    const auto& info = p.at("transactionInfo");
    const std::string event = p.at("eventType"), tx = info.at("transactionId");
    const std::string tag = p.contains("idToken") ? p["idToken"].value("idToken", "") : "";
    if (p.contains("idToken")) a.payload = {{"idTokenInfo", {{"status", token_status(p["idToken"])}}}};
    if (p.contains("meterValue")) c.samples(id, s, v, samples_of(p["meterValue"]));
    if (!tag.empty() && v.transaction_id == tx) s.reported.id_tag = tag;
    if (event == "Started" || (event == "Updated" && v.transaction_id != tx)) {
      // A station that starts its transaction at plug-in has no token yet; it comes with an Updated event.
      c.transaction_started(id, s, v, tx, tag, v.energy_wh);
      if (!info.contains("chargingState")) c.connector_status(s, v, ConnectorStatus::Preparing);
    }
    if (info.contains("chargingState")) c.connector_status(s, v, status_of(info["chargingState"], v));
    if (event == "Ended") {
      const std::string reason = info.value("stoppedReason", "Local");
      c.transaction_ended(id, s, v, tag, v.energy_wh, reason);
      c.connector_status(
          s, v, reason == "EVDisconnected" ? ConnectorStatus::Available : ConnectorStatus::Finishing);
    }
    return a;
  }

  std::string charging_needs(const std::string& id, Session& s, ChargerView& v, const json& p) {
    const auto& needs = p.at("chargingNeeds");
    ChargerView::EvNeed need;
    need.at_session_wh = v.session_wh;
    if (needs.contains("departureTime")) need.departure_ms = parse_iso_time(needs["departureTime"]);
    if (needs.contains("acChargingParameters"))
      need.energy_wh = needs["acChargingParameters"].value("energyAmount", 0.0);
    else if (needs.contains("dcChargingParameters") && needs["dcChargingParameters"].contains("energyAmount"))
      need.energy_wh = needs["dcChargingParameters"].value("energyAmount", 0.0);
    log::notice("ocpp: {}: the car needs {} by {}", id,
                need.energy_wh ? fmt::format("{:.1f} kWh", *need.energy_wh / 1000) : "?",
                need.departure_ms ? iso_time(*need.departure_ms) : "?");
    v.ev_need = need;
    s.decided.limit.sent_a
        .reset();  // the car waits for a profile before it starts: the limit goes out again now
    return "Accepted";
  }

  void report(const std::string& id, const json& p) {
    for (const auto& item : p.value("reportData", json::array())) {
      const std::string component = item["component"].value("name", ""),
                        variable = item["variable"].value("name", "");
      for (const auto& attr : item.value("variableAttribute", json::array()))
        if (component == "SmartChargingCtrlr" && variable == "Enabled" && attr.value("value", "") == "false")
          log::warning("ocpp: {}: smart charging is disabled in the station (SmartChargingCtrlr.Enabled)",
                       id);
    }
    if (!p.value("tbc", false))
      log::info("ocpp: {}: configuration report {} complete", id, p.value("requestId", 0));
  }

  Schemas schemas_{Version::v201, actions};
  int request_id_ = 0;
};

}  // namespace

std::unique_ptr<Dialect> make_ocpp201(Central& central) {
  return std::make_unique<Ocpp201>(central);
}

}  // namespace hemd::ocpp
