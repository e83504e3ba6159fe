#include <gtest/gtest.h>

#include "config/charger_profile.h"
#include "drivers/ocpp/csms.h"
#include "drivers/ocpp/frame.h"
#include "drivers/ocpp/ocpp_words.h"
#include "drivers/ocpp/schema.h"

namespace hemd::ocpp {
namespace {

using json = nlohmann::json;

json profile(json limit) {
  return {{"connectorId", 0},
          {"csChargingProfiles",
           {{"chargingProfileId", 2},
            {"stackLevel", 1},
            {"chargingProfilePurpose", "TxDefaultProfile"},
            {"chargingProfileKind", "Absolute"},
            {"chargingSchedule",
             {{"chargingRateUnit", "A"},
              {"startSchedule", "2026-11-25T03:00:00.000Z"},
              {"chargingSchedulePeriod", json::array({{{"startPeriod", 0}, {"limit", limit}}})}}}}}};
}

TEST(Schemas, DecimalLimitsAreMultiplesOfATenthDespiteBinaryFloatingPoint) {
  const Schemas s;
  for (double limit : {6.0, 6.1, 11.5, 16.0, 0.0, 4140.0})
    EXPECT_FALSE(s.check("SetChargingProfile", false, profile(limit)));
}

TEST(Schemas, ViolationsGetTheirOcppErrorCode) {
  const Schemas s;
  EXPECT_EQ(s.check("SetChargingProfile", false, profile("six"))->code, "TypeConstraintViolation");
  auto missing = profile(6);
  missing["csChargingProfiles"].erase("stackLevel");
  EXPECT_EQ(s.check("SetChargingProfile", false, missing)->code, "ProtocolError");
  EXPECT_EQ(
      s.check("BootNotification", false, {{"chargePointVendor", "v"}, {"chargePointModel", "m"}, {"x", 1}})
          ->code,
      "FormationViolation");
  EXPECT_EQ(s.check("Authorize", false, {{"idTag", std::string(21, 'x')}})->code,
            "PropertyConstraintViolation");
  EXPECT_EQ(s.check("FlyToTheMoon", false, json::object())->code, "NotImplemented");
  // Dates and times: checked as the schema's format says (valijson's own check is replaced by a pattern).
  json start = {
      {"connectorId", 1}, {"idTag", "x"}, {"meterStart", 1}, {"timestamp", "2026-11-26T10:00:00.123Z"}};
  EXPECT_FALSE(s.check("StartTransaction", false, start));
  start["timestamp"] = "2026-11-26T10:00:00+01:00";
  EXPECT_FALSE(s.check("StartTransaction", false, start));
  for (const char* bad :
       {"yesterday", "2026-13-26T10:00:00Z", "2026-11-26 10:00:00Z", "2026-11-26T10:00:00"}) {
    start["timestamp"] = bad;
    const auto v = s.check("StartTransaction", false, start);
    ASSERT_TRUE(v) << bad;
    EXPECT_EQ(v->code, "PropertyConstraintViolation") << bad;
    EXPECT_NE(v->description.find("valid date-time"), std::string::npos) << v->description;
  }
  // A property that is called "format" is a property, not a format.
  EXPECT_FALSE(
      s.check("MeterValues", false,
              {{"connectorId", 1},
               {"meterValue",
                json::array({{{"timestamp", "2026-11-26T10:00:00Z"},
                              {"sampledValue", json::array({{{"value", "1"}, {"format", "Raw"}}})}}})}}));
  EXPECT_FALSE(s.check("Heartbeat", false, json::object()));
  EXPECT_TRUE(s.knows("MeterValues"));
}

TEST(Frames, EveryShapeIsRecognisedOrGetsItsError) {
  EXPECT_EQ(std::get<Call>(parse_frame(R"([2,"1","Heartbeat",{}])")).action, "Heartbeat");
  EXPECT_EQ(std::get<CallResult>(parse_frame(R"([3,"1",{"a":1}])")).payload["a"], 1);
  EXPECT_EQ(std::get<CallError>(parse_frame(R"([4,"1","NotSupported","no",{}])")).code, "NotSupported");
  EXPECT_EQ(std::get<BadFrame>(parse_frame("{not json")).code, "FormationViolation");
  EXPECT_EQ(std::get<BadFrame>(parse_frame(R"([2,1,"Heartbeat",{}])")).id, "-1");
  EXPECT_EQ(std::get<BadFrame>(parse_frame(R"([2,"x","Heartbeat"])")).id, "x");
  EXPECT_EQ(std::get<BadFrame>(parse_frame(R"([9,"x",{}])")).code, "ProtocolError");
  EXPECT_EQ(call_frame("7", "Reset", {{"type", "Soft"}}), R"([2,"7","Reset",{"type":"Soft"}])");
  EXPECT_EQ(error_frame("7", "GenericError", "why"), R"([4,"7","GenericError","why",{}])");
}

// The words are generated from the bundled schemas (drivers/ocpp/ocpp_words.cmake): both versions' words,
// spelt as on the wire, and nothing else.
TEST(OcppWords, EnumsCarryBothVersionsWordsAsTheSchemasSpellThem) {
  EXPECT_EQ(word(Purpose::TxDefaultProfile), "TxDefaultProfile");
  EXPECT_EQ(parse<Purpose>("ChargingStationMaxProfile"), Purpose::ChargingStationMaxProfile);  // 2.0.1's
  EXPECT_EQ(parse<Purpose>("ChargePointMaxProfile"), Purpose::ChargePointMaxProfile);          // 1.6's
  EXPECT_EQ(parse<ConnectorStatus>("SuspendedEVSE"), ConnectorStatus::SuspendedEVSE);
  EXPECT_EQ(parse<ConnectorStatus>("Occupied"), ConnectorStatus::Occupied);
  EXPECT_EQ(parse<Measurand>("Energy.Active.Import.Register"), Measurand::Energy_Active_Import_Register);
  EXPECT_EQ(word(Measurand::Current_Offered), "Current.Offered");
  EXPECT_EQ(parse<RateUnit>("W"), RateUnit::W);
  EXPECT_FALSE(parse<RateUnit>("auto"));
  EXPECT_FALSE(parse<Measurand>("Current.import")) << "the schemas' spelling only";
  for (std::size_t i = 0; i < measurands.size(); ++i)
    EXPECT_EQ(parse<Measurand>(measurands[i]), static_cast<Measurand>(i)) << measurands[i];
}

}  // namespace
}  // namespace hemd::ocpp

namespace hemd::ocpp {
namespace {

// After a restart of hemd a charger that did not restart may never boot again: who it is (for its quirk
// profile and its Home Assistant device) comes from what a run before learnt, until it says so itself.
TEST(CsmsKnowledge, WhoAChargerIsComesFromARunBeforeUntilItBoots) {
  CsmsOptions o;
  o.port = 0;
  ChargerSetup known, unknown;
  known.id = "garage";
  known.knowledge["identity"] = "ABB\tTerra AC\t1.6.3\tTACW-123";
  unknown.id = "street";
  Csms csms(o, {known, unknown}, config::ProfileSet{});
  const auto views = csms.views();
  EXPECT_EQ(views.at("garage").vendor, "ABB");
  EXPECT_EQ(views.at("garage").model, "Terra AC");
  EXPECT_EQ(views.at("garage").firmware, "1.6.3");
  EXPECT_EQ(views.at("garage").serial, "TACW-123");
  EXPECT_FALSE(views.at("garage").booted);
  EXPECT_EQ(views.at("street").vendor, "");
}

}  // namespace
}  // namespace hemd::ocpp
