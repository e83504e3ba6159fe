// The demo's SunSpec devices, read back through the poller hemd uses for real ones: what is published is
// what hemd reads, in the units and signs it expects.
#include <gtest/gtest.h>

#include "drivers/modbus/poller.h"
#include "sim/register_server.h"

namespace hemd::modbus {
namespace {

std::optional<DeviceState> read_once(int port, bool meter) {
  Endpoint e;
  e.host = "127.0.0.1";
  e.port = port;
  DeviceSpec d;
  d.name = "dev";
  d.meter = meter;
  Poller p(e, {d}, std::chrono::milliseconds(1000));
  p.poll_once();
  return p.state("dev");
}

TEST(SunSpecServer, AnInverterReadsBackThroughThePoller) {
  SunSpecServer inverter(SunSpecServer::Kind::inverter, "hemd", "Simulated inverter", "SIM-1");
  inverter.start();
  Values v;
  v.power_w = 5432;
  for (int ph = 0; ph < 3; ++ph) {
    v.current_a[ph] = 7.87;
    v.voltage_v[ph] = 231.4;
  }
  v.energy_export_wh = 1'234'567;
  inverter.publish(v);
  const auto s = read_once(inverter.port(), false);
  ASSERT_TRUE(s);
  ASSERT_TRUE(s->error.empty()) << s->error;
  EXPECT_NE(s->identity.find("Simulated inverter"), std::string::npos) << s->identity;
  EXPECT_DOUBLE_EQ(*s->values.power_w, 5432);
  EXPECT_NEAR(*s->values.current_a[2], 7.87, 1e-9);
  EXPECT_NEAR(*s->values.voltage_v[0], 231.4, 1e-9);
  EXPECT_DOUBLE_EQ(*s->values.energy_export_wh, 1'234'567);
  // The common model's points sit where SunSpec puts them (an installer's `hemd scan` shows them).
  Endpoint e;
  e.host = "127.0.0.1";
  e.port = inverter.port();
  Connection c(e, std::chrono::milliseconds(500));
  std::string error;
  const auto layout =
      sunspec::discover([&](int address, int count) { return c.read(1, false, address, count, error); });
  ASSERT_TRUE(layout);
  EXPECT_EQ(layout->manufacturer, "hemd");
  EXPECT_EQ(layout->model_name, "Simulated inverter");
  EXPECT_EQ(layout->serial, "SIM-1");
}

TEST(SunSpecServer, AMeterKeepsImportPositiveAndExportNegative) {
  SunSpecServer meter(SunSpecServer::Kind::meter, "hemd", "Simulated grid meter", "SIM-2");
  meter.start();
  Values v;
  v.power_w = -3210;
  v.current_a = {-2.5, -4.75, 1.25};
  v.energy_import_wh = 900;
  v.energy_export_wh = 4500;
  meter.publish(v);
  auto s = read_once(meter.port(), true);
  ASSERT_TRUE(s && s->error.empty());
  EXPECT_DOUBLE_EQ(*s->values.power_w, -3210);
  EXPECT_NEAR(*s->values.current_a[0], -2.5, 1e-9);
  EXPECT_NEAR(*s->values.current_a[1], -4.75, 1e-9);
  EXPECT_NEAR(*s->values.current_a[2], 1.25, 1e-9);
  EXPECT_DOUBLE_EQ(*s->values.energy_import_wh, 900);
  EXPECT_DOUBLE_EQ(*s->values.energy_export_wh, 4500);
  // A new publication is what the next read sees.
  v.power_w = 1800;
  meter.publish(v);
  s = read_once(meter.port(), true);
  ASSERT_TRUE(s);
  EXPECT_DOUBLE_EQ(*s->values.power_w, 1800);
}

TEST(SunSpecServer, ARequestOutsideTheDeviceGetsAnExceptionAnswer) {
  SunSpecServer meter(SunSpecServer::Kind::meter, "hemd", "m", "s");
  meter.start();
  Endpoint e;
  e.host = "127.0.0.1";
  e.port = meter.port();
  Connection c(e, std::chrono::milliseconds(500));
  std::string error;
  EXPECT_FALSE(c.read(1, false, 100, 2, error));
  EXPECT_NE(error.find("Illegal data address"), std::string::npos) << error;
  error.clear();
  EXPECT_TRUE(c.read(1, false, 40000, 2, error)) << error;  // and the connection still serves
}

}  // namespace
}  // namespace hemd::modbus
