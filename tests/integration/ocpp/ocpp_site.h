#pragma once
// What the OCPP integration tests share: hemd as its own process with a pymodbus grid meter (Site), over TLS
// (TlsSite), or the central system in process (InProcess); strict ocpp-rpc charge points as peers and the
// events they print.
#include <arpa/inet.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>

#include "config/charger_profile.h"
#include "drivers/ocpp/csms.h"
#include "tests/support/process.h"

namespace hemd::test {

using namespace std::chrono_literals;
using json = nlohmann::json;

inline std::vector<json> events(const std::string& out) {
  std::vector<json> all;
  std::istringstream lines(out);
  std::string line;
  while (std::getline(lines, line))
    if (!line.empty() && line[0] == '{') all.push_back(json::parse(line));
  return all;
}

// The charge point's events matching `pred`, from event number `since` on, waiting until there are `n`.
inline std::vector<json> wait_events(Process& cp, const std::function<bool(const json&)>& pred,
                                     std::size_t n = 1, std::chrono::seconds deadline = 30s,
                                     std::size_t since = 0) {
  std::vector<json> found;
  Process::wait_until(
      [&] {
        found.clear();
        const auto all = events(cp.out());
        for (std::size_t i = since; i < all.size(); ++i)
          if (pred(all[i])) found.push_back(all[i]);
        return found.size() >= n;
      },
      deadline);
  return found;
}

// A mark in the charge point's event stream: what happens after an action, not before it.
inline std::size_t mark(Process& cp) {
  return events(cp.out()).size();
}

inline auto limit_is(double amps) {
  return [amps](const json& e) { return e.value("event", "") == "limit" && e["amps"] == amps; };
}

inline auto is(const std::string& name) {
  return [name](const json& e) { return e.value("event", "") == name; };
}

inline auto profile_for(const std::string& purpose, int stack_level = -1) {
  return [purpose, stack_level](const json& e) {
    return e.value("event", "") == "profile" && e["purpose"] == purpose &&
           (stack_level < 0 || e["stackLevel"] == stack_level);
  };
}

struct Site {
  TempDir dir;
  int port = free_port();
  std::unique_ptr<Process> meter, hemd;
  std::string config;
  std::string meter_power = "3456";  // W, import positive

  // A site with a grid meter (pymodbus, an SDM630 reading 5.5/6.5/7.5 A) unless `with_meter` is false.
  // `extra` goes into the ocpp section, `top` at the top level of the config.
  void start(const std::string& chargers, bool with_meter = true, const std::string& extra = "",
             double fuse = 25, const std::string& top = "prices: {enabled: false}\n") {
    std::string meters;
    if (with_meter) {
      meter =
          std::make_unique<Process>(std::vector<std::string>{"/usr/bin/python3", MODBUS_SERVER, "--tcp",
                                                             "--device", "1:sdm630", "--power", meter_power},
                                    dir.file("meter.out"), dir.file("meter.err"));
      EXPECT_TRUE(meter->wait_for_out("READY")) << meter->err();
      std::smatch m;
      const std::string out = meter->out();
      std::regex_search(out, m, std::regex("READY (\\d+)"));
      EXPECT_TRUE(wait_for_port(std::stoi(m[1]))) << meter->err();
      meters = fmt::format(
          "meters:\n  - {{name: grid, role: grid, device: eastron_sdm630, host: 127.0.0.1, port: {}, "
          "unit: 1}}\n",
          m[1].str());
    }
    config = fmt::format(
        "site: {{main_fuse_a: {}}}\n{}chargers:\n{}ocpp: {{listen_address: 127.0.0.1, port: {}{}}}\n"
        "{}storage: {{path: {}}}\n",
        fuse, meters, chargers, port, extra, top, dir.file("hemd.db"));
    dir.write("hemd.yaml", config);
    hemd = std::make_unique<Process>(std::vector<std::string>{HEMD_BINARY, "--config", dir.file("hemd.yaml")},
                                     dir.file("hemd.out"), dir.file("hemd.err"));
    ASSERT_TRUE(hemd->wait_for_err("ocpp: listening")) << hemd->err();
  }

  // hemd stopped as an upgrade stops it and started again on the same config and database; the chargers
  // keep running.
  void restart_hemd(const std::string& run = "2") {
    kill(hemd->pid(), SIGTERM);
    EXPECT_EQ(hemd->wait_exit(), 0) << hemd->err();
    hemd = std::make_unique<Process>(std::vector<std::string>{HEMD_BINARY, "--config", dir.file("hemd.yaml")},
                                     dir.file("hemd" + run + ".out"), dir.file("hemd" + run + ".err"));
    ASSERT_TRUE(hemd->wait_for_err("ocpp: listening")) << hemd->err();
  }

  // A strict charge point: chargepoint.js speaks OCPP 1.6J, station201.js OCPP 2.0.1.
  std::string script = "chargepoint.js";
  std::unique_ptr<Process> charge_point(const std::string& id, std::vector<std::string> args = {},
                                        const std::string& password = "pw-1234") {
    std::vector<std::string> argv = {"/usr/bin/node", std::string(OCPP_PEERS) + "/" + script,
                                     "--url",         fmt::format("ws://127.0.0.1:{}/ocpp", port),
                                     "--id",          id};
    if (!password.empty()) argv.insert(argv.end(), {"--password", password});
    argv.insert(argv.end(), args.begin(), args.end());
    return std::make_unique<Process>(argv, dir.file(id + ".out"), dir.file(id + ".err"));
  }

  std::vector<json> raw(const std::string& path, const std::string& protocol, const std::string& password,
                        std::vector<std::string> frames) {
    std::vector<std::string> argv = {"/usr/bin/node", std::string(OCPP_PEERS) + "/raw_client.js",
                                     fmt::format("ws://127.0.0.1:{}{}", port, path), protocol, password};
    argv.insert(argv.end(), frames.begin(), frames.end());
    Process p(argv, dir.file("raw.out"), dir.file("raw.err"));
    EXPECT_EQ(p.wait_exit(), 0) << p.err();
    return events(p.out());
  }
};

struct InProcess {
  TempDir dir;
  std::unique_ptr<ocpp::Csms> csms;
  void start(std::optional<config::ChargerProfile> profile = std::nullopt) {
    ocpp::CsmsOptions o;
    o.address = "127.0.0.1";
    o.port = 0;
    o.min_resend_s = 0;
    ocpp::ChargerSetup c;
    c.id = "cp1";
    c.profile = std::move(profile);
    csms = std::make_unique<ocpp::Csms>(o, std::vector<ocpp::ChargerSetup>{c}, config::ProfileSet{});
    csms->start();
  }
  std::unique_ptr<Process> charge_point(const std::string& script = "chargepoint.js",
                                        std::vector<std::string> args = {}) {
    std::vector<std::string> argv = {"/usr/bin/node", std::string(OCPP_PEERS) + "/" + script,
                                     "--url",         fmt::format("ws://127.0.0.1:{}/ocpp", csms->port()),
                                     "--id",          "cp1"};
    argv.insert(argv.end(), args.begin(), args.end());
    return std::make_unique<Process>(argv, dir.file("cp.out"), dir.file("cp.err"));
  }
};

// Security profiles 2 and 3 with the certificates `hemd cert` makes: wss:// with the server's certificate and
// Basic authentication, client certificates naming the charge point, and plain ws:// refused on a TLS port.
struct TlsSite : Site {
  std::string tls;
  void make_certificates() {
    tls = dir.file("tls");
    Process cert({HEMD_BINARY, "cert", "--out", tls, "--host", "localhost", "--ip", "127.0.0.1"},
                 dir.file("cert.out"), dir.file("cert.err"));
    ASSERT_EQ(cert.wait_exit(), 0) << cert.err();
  }
  // A charger's own certificate, signed by the home CA, for `cn`.
  void client_certificate(const std::string& cn) {
    const std::string key = tls + "/" + cn + ".key", csr = tls + "/" + cn + ".csr",
                      pem = tls + "/" + cn + ".pem";
    const std::string cmd = fmt::format(
        "openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout {0} -subj /CN={1} -out "
        "{2} "
        "2>/dev/null && openssl x509 -req -in {2} -CA {3}/ca.pem -CAkey {3}/ca.key -CAcreateserial -days 30 "
        "-out {4} "
        "2>/dev/null",
        key, cn, csr, tls, pem);
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  }
  std::unique_ptr<Process> wss_point(const std::string& name, std::vector<std::string> args,
                                     const std::string& password = "pw-1234", int on_port = 0) {
    std::vector<std::string> argv = {
        "/usr/bin/node", std::string(OCPP_PEERS) + "/" + script,
        "--url",         fmt::format("wss://localhost:{}/ocpp", on_port ? on_port : port),
        "--id",          "cp1"};
    if (!password.empty()) argv.insert(argv.end(), {"--password", password});
    argv.insert(argv.end(), args.begin(), args.end());
    return std::make_unique<Process>(argv, dir.file(name + ".out"), dir.file(name + ".err"));
  }
};

}  // namespace hemd::test
