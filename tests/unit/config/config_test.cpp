#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "config/config.h"
#include "config/reader.h"

namespace hemd::config {
namespace {

std::string errors_of(const LoadResult& r) {
  std::string all;
  for (const auto& e : r.errors) all += e.to_string() + "\n";
  return all;
}

struct Case {
  const char* name;
  const char* yaml;
  const char* expected;  // a substring of the single expected message, file:line:col included
};

// One case per class of error: each must give exactly one message naming the place and what is expected.
const Case cases[] = {
    {"missing_site", "log_level: info\n", "t.yaml:1:1: site: missing, expected the site section"},
    {"fuse_too_high", "site:\n  main_fuse_a: 400\n",
     "t.yaml:2:16: site.main_fuse_a: found 400, expected a number in A per phase from 6 to 250"},
    {"fuse_not_a_number", "site:\n  main_fuse_a: lots\n",
     "t.yaml:2:16: site.main_fuse_a: found 'lots', expected a number"},
    {"misspelt_key", "site:\n  main_fuse_a: 25\n  voltge_v: 230\n",
     "t.yaml:3:3: site.voltge_v: unknown key 'voltge_v', did you mean 'voltage_v'?"},
    {"unknown_top_level", "site: {main_fuse_a: 25}\nmqqt: {}\n",
     "t.yaml:2:1: mqqt: unknown key 'mqqt', did you mean 'mqtt'?"},
    {"two_phases", "site: {main_fuse_a: 25, phases: 2}\n", "site.phases: found 2, expected 1 or 3"},
    {"min_current_below_6", "site: {main_fuse_a: 25}\nchargers:\n  - {id: a, min_current_a: 5}\n",
     "t.yaml:3:28: chargers[0].min_current_a: found 5, expected a number in A from 6 to 32"},
    {"min_above_max",
     "site: {main_fuse_a: 25}\nchargers:\n  - {id: a, min_current_a: 12, max_current_a: 10}\n",
     "chargers[0].min_current_a: found 12 A above max_current_a 10 A"},
    {"bad_choice", "site: {main_fuse_a: 25}\nchargers:\n  - {id: a, mode: solar}\n",
     "chargers[0].mode: found 'solar', expected one of: off, now, minpv, pv, smart"},
    {"choice_typo", "site: {main_fuse_a: 25}\nprices: {provider: energidataservise}\n",
     "did you mean 'energidataservice'?"},
    {"duplicate_charger", "site: {main_fuse_a: 25}\nchargers:\n  - {id: a}\n  - {id: a}\n",
     "chargers[1].id: found 'a' twice"},
    {"unknown_charger_in_circuit",
     "site: {main_fuse_a: 25}\nchargers:\n  - {id: garage}\ncircuits:\n  - {name: c, fuse_a: 16, chargers: "
     "[garaj]}\n",
     "circuits[0].chargers[0]: found 'garaj', expected the id of a charger in chargers (did you mean "
     "'garage'?)"},
    {"circuit_above_main", "site: {main_fuse_a: 25}\ncircuits:\n  - {name: c, fuse_a: 35}\n",
     "circuits[0].fuse_a: found 35 A, expected at most site.main_fuse_a (25 A)"},
    {"tcp_without_host", "site: {main_fuse_a: 25}\nmeters:\n  - {name: g, role: grid, device: sunspec}\n",
     "meters[0].host: missing, expected the device's host name"},
    {"rtu_without_device",
     "site: {main_fuse_a: 25}\nmeters:\n  - {name: g, role: grid, device: x, transport: rtu}\n",
     "meters[0].serial.device: missing"},
    {"two_grid_meters",
     "site: {main_fuse_a: 25}\nmeters:\n  - {name: a, role: grid, device: x, host: h}\n  - {name: b, role: "
     "grid, device: x, "
     "host: h}\n",
     "meters: found 2 grid meters, expected at most one"},
    {"missing_env", "site: {main_fuse_a: 25}\nmqtt: {password: '${HEMD_TEST_SURELY_UNSET}'}\n",
     "mqtt.password: environment variable HEMD_TEST_SURELY_UNSET is not set"},
    {"section_not_a_map", "site: 25\n", "t.yaml:1:7: site: found '25', expected a mapping of keys"},
    {"list_expected", "site: {main_fuse_a: 25}\nchargers: {id: a}\n",
     "chargers: found a mapping, expected a list"},
    {"bad_yaml", "site:\n  main_fuse_a: [25\n", "t.yaml:3:1: (top level): not valid YAML"},
    {"port_range", "site: {main_fuse_a: 25}\nocpp: {port: 70000}\n",
     "ocpp.port: found 70000, expected a whole number from 1 to 65535"},
    {"ocpp_path", "site: {main_fuse_a: 25}\nocpp: {path: ocpp}\n",
     "ocpp.path: found 'ocpp', expected a path starting with /"},
    {"id_tags_needed", "site: {main_fuse_a: 25}\nocpp: {authorize: list}\n",
     "ocpp.id_tags: missing, expected at least one idTag"},
    {"tls_pair", "site: {main_fuse_a: 25}\nmqtt: {tls: {ca_file: ca.pem, cert_file: c.pem}}\n",
     "mqtt.tls.key_file: expected cert_file and key_file together"},
    {"bool", "site: {main_fuse_a: 25}\nmqtt: {enabled: maybe}\n",
     "mqtt.enabled: found 'maybe', expected true or false"},
    {"empty_file", "", "the file is empty"},
    {"safe_currents_above_the_fuse",
     "site: {main_fuse_a: 16, safe_current_a: 6}\nchargers:\n  - {id: a}\n  - {id: b}\n  - {id: c, phases: "
     "1}\n",
     "t.yaml:3:3: chargers: the chargers' safe currents add up to 18 A on L1, expected at most "
     "site.main_fuse_a (16 A)"},
    {"safe_currents_above_a_circuit",
     "site: {main_fuse_a: 63}\nchargers:\n  - {id: a}\n  - {id: b}\ncircuits:\n  - {name: c, fuse_a: 10, "
     "chargers: "
     "[a, b]}\n",
     "circuits: the chargers' safe currents add up to 12 A on L1, expected at most circuits[0].fuse_a (10 "
     "A)"},
    {"grid_tariff_date",
     "site: {main_fuse_a: 25}\nprices:\n  grid_tariff:\n    - {valid_from: 1/10/2025, periods: [{from_hour: "
     "0, "
     "to_hour: 24, dkk_kwh: 0.1}]}\n",
     "t.yaml:4:20: prices.grid_tariff[0].valid_from: found '1/10/2025', expected a date YYYY-MM-DD"},
    {"grid_tariff_hours_backwards",
     "site: {main_fuse_a: 25}\nprices:\n  grid_tariff:\n    - valid_from: 2025-10-01\n      periods:\n       "
     " - "
     "{from_hour: 0, to_hour: 24, dkk_kwh: 0.1}\n        - {from_hour: 17, to_hour: 6, dkk_kwh: 0.9}\n",
     "t.yaml:7:36: prices.grid_tariff[0].periods[1].to_hour: found 6, expected an hour after from_hour 17"},
    {"grid_tariff_gap",
     "site: {main_fuse_a: 25}\nprices:\n  grid_tariff:\n    - valid_from: 2025-10-01\n      periods:\n       "
     " - "
     "{from_hour: 0, to_hour: 6, dkk_kwh: 0.1}\n        - {from_hour: 17, to_hour: 24, dkk_kwh: 0.9}\n",
     "prices.grid_tariff[0].periods: hour 6 is not covered, expected periods covering hours 0 to 24"},
    {"tax_not_a_number", "site: {main_fuse_a: 25}\nprices: {taxes: {elafgift_dkk_kwh: low}}\n",
     "prices.taxes.elafgift_dkk_kwh: found 'low', expected a number"},
    {"ocpp_client_ca_without_tls", "site: {main_fuse_a: 25}\nocpp: {tls_client_ca_file: ca.pem}\n",
     "ocpp.tls_client_ca_file: client certificates need TLS: expected tls_cert_file and tls_key_file too"},
    {"ocpp_plain_port_without_tls", "site: {main_fuse_a: 25}\nocpp: {plain_port: 8888}\n",
     "ocpp.plain_port: a second, plain listener is for sites with TLS: without tls_cert_file, `port` is "
     "plain"},
    {"ocpp_plain_port_is_the_tls_port",
     "site: {main_fuse_a: 25}\nocpp: {port: 8887, plain_port: 8887, tls_cert_file: c, tls_key_file: k}\n",
     "ocpp.plain_port: found 8887, expected a port other than ocpp.port"},
    {"charger_phases_above_site", "site: {main_fuse_a: 25, phases: 1}\nchargers:\n  - {id: a, phases: 3}\n",
     "chargers[0].phases: found 3, expected at most site.phases (1)"},
};

class ConfigErrors : public ::testing::TestWithParam<Case> {};

TEST_P(ConfigErrors, NamesFileLineKeyAndExpectation) {
  const Case& c = GetParam();
  auto r = load_string(c.yaml, "t.yaml");
  EXPECT_FALSE(r.config.has_value());
  ASSERT_EQ(r.errors.size(), 1u) << errors_of(r);
  EXPECT_NE(r.errors[0].to_string().find(c.expected), std::string::npos)
      << "got:      " << r.errors[0].to_string() << "\nexpected: " << c.expected;
}

INSTANTIATE_TEST_SUITE_P(Table, ConfigErrors, ::testing::ValuesIn(cases),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(Config, ReportsEveryErrorAtOnce) {
  auto r = load_string(
      "site:\n  main_fuse_a: 300\n  phasse: 3\nchargers:\n  - {id: a, max_current_a: 100}\nlog_level: loud\n",
      "t.yaml");
  ASSERT_EQ(r.errors.size(), 4u) << errors_of(r);
  // In file order, whatever order the checks ran in.
  EXPECT_EQ(r.errors[0].key, "site.main_fuse_a");
  EXPECT_EQ(r.errors[1].key, "site.phasse");
  EXPECT_EQ(r.errors[2].key, "chargers[0].max_current_a");
  EXPECT_EQ(r.errors[3].key, "log_level");
  EXPECT_EQ(r.errors[3].line, 6);
}

TEST(Config, MinimalFileGetsDefaults) {
  auto r = load_string("site:\n  main_fuse_a: 35\n", "t.yaml");
  ASSERT_TRUE(r.config) << errors_of(r);
  EXPECT_EQ(r.config->site.main_fuse_a, 35);
  EXPECT_EQ(r.config->site.phases, 3);
  EXPECT_EQ(r.config->ocpp.port, 8887);
  EXPECT_EQ(r.config->storage.path, "/var/lib/hemd/hemd.db");
  EXPECT_EQ(r.config->control.interval_ms, 1000);
}

TEST(Config, SecretsComeFromTheEnvironmentAndAreMasked) {
  setenv("HEMD_TEST_MQTT_PASSWORD", "hunter2", 1);
  auto r = load_string(
      "site: {main_fuse_a: 25}\nmqtt: {password: '${HEMD_TEST_MQTT_PASSWORD}', username: "
      "'u-${HEMD_TEST_NOPE:-x}'}\n",
      "t.yaml");
  unsetenv("HEMD_TEST_MQTT_PASSWORD");
  ASSERT_TRUE(r.config) << errors_of(r);
  EXPECT_EQ(r.config->mqtt.password, "hunter2");
  EXPECT_EQ(r.config->mqtt.username, "u-x");
  const std::string dump = to_yaml(*r.config);
  EXPECT_EQ(dump.find("hunter2"), std::string::npos);
  EXPECT_NE(dump.find("password: \"********\""), std::string::npos) << dump;
}

TEST(Config, DumpReadsBackToTheSameConfig) {
  setenv("HEMD_CARPORT_PASSWORD", "a", 1);
  setenv("HEMD_MQTT_PASSWORD", "b", 1);
  auto first = load_file(std::string(HEMD_SOURCE_DIR) + "/config/examples/house-pv.yaml");
  ASSERT_TRUE(first.config) << errors_of(first);
  // Secrets come back masked, so compare the two dumps rather than the secrets.
  auto second = load_string(to_yaml(*first.config), "dump.yaml");
  ASSERT_TRUE(second.config) << errors_of(second);
  EXPECT_EQ(to_yaml(*first.config), to_yaml(*second.config));
}

TEST(Config, DidYouMeanOnlyForNearMisses) {
  EXPECT_EQ(did_you_mean("main_fuse", {"main_fuse_a", "phases"}), "main_fuse_a");
  EXPECT_EQ(did_you_mean("colour", {"main_fuse_a", "phases"}), "");
}

TEST(Config, EveryExampleIsValid) {
  setenv("HEMD_CARPORT_PASSWORD", "a", 1);
  setenv("HEMD_MQTT_PASSWORD", "b", 1);
  setenv("HEMD_CP_PASSWORD", "c", 1);
  int seen = 0;
  for (const auto& entry :
       std::filesystem::directory_iterator(std::string(HEMD_SOURCE_DIR) + "/config/examples")) {
    if (entry.path().extension() != ".yaml") continue;
    ++seen;
    auto r = load_file(entry.path().string());
    EXPECT_TRUE(r.config) << entry.path() << ":\n" << errors_of(r);
  }
  EXPECT_GE(seen, 3);
}

// The configuration reference (docs/configuration.md) documents every key the schema knows, under its
// section.
TEST(Config, ReferenceDocumentsEveryKey) {
  // Every section present, so that every key of every section is reachable.
  auto r = load_string(
      "site: {main_fuse_a: 25}\n"
      "meters:\n  - {name: m, role: grid, device: sunspec, host: h, serial: {device: /dev/x}}\n"
      "chargers:\n  - {id: a, safe_current_a: 6}\n"
      "circuits:\n  - {name: c, fuse_a: 16, chargers: [a]}\n"
      "prices: {area: DK1}\nmqtt: {tls: {ca_file: x}}\nocpp: {port: 1}\nstorage: {path: x}\n"
      "control: {interval_ms: 1000}\n",
      "all.yaml");
  ASSERT_TRUE(r.config) << errors_of(r);
  std::ifstream in(std::string(HEMD_SOURCE_DIR) + "/docs/configuration.md");
  const std::string readme((std::istreambuf_iterator<char>(in)), {});
  const auto reference = readme.find("# Configuration reference");
  ASSERT_NE(reference, std::string::npos);
  EXPECT_GT(r.keys.size(), 60u);
  for (const auto& key : r.keys) {
    const auto dot = key.find('.');
    const std::string section = key.substr(0, dot);
    const std::string leaf = dot == std::string::npos ? key : key.substr(dot + 1);
    const auto at = readme.find("### `" + section + "`", reference);
    ASSERT_NE(at, std::string::npos) << "docs/configuration.md has no section for " << section;
    const auto end = readme.find("\n### ", at + 1);
    const std::string text = readme.substr(at, end == std::string::npos ? std::string::npos : end - at);
    // "tls.ca_file" may be documented as `tls.ca_file`; "host" inside "`host` / `port`".
    const bool documented = text.find("`" + leaf + "`") != std::string::npos ||
                            text.find("`" + leaf + ".") != std::string::npos;  // a sub-section: `serial.baud`
    EXPECT_TRUE(documented) << "docs/configuration.md does not document " << key;
  }
}

// docs/configuration.md is written from the keys' declarations; a key added or changed without regenerating
// it fails here, with the command that mends it.
TEST(ConfigReference, DocsAreCurrent) {
  std::ifstream in(std::string(HEMD_SOURCE_DIR) + "/docs/configuration.md");
  const std::string checked_in((std::istreambuf_iterator<char>(in)), {});
  EXPECT_TRUE(checked_in == reference_markdown())
      << "docs/configuration.md is out of date with config/keys.cpp; regenerate it with\n"
         "  cmake --build build --target configuration_md\nand commit the result.";
}

// Every kind of key, nested sections and lists included, is written by --check-config and reads back the
// same.
TEST(Config, DumpOfEveryKindOfKeyReadsBack) {
  const char* yaml =
      "site: {main_fuse_a: 35, name: x, sharing: departure}\n"
      "meters:\n"
      "  - {name: g, role: grid, device: sunspec, host: h, stale_after_s: 7}\n"
      "  - {name: p, role: pv, device: eastron_sdm630, transport: rtu, serial: {device: /dev/x, parity: E}}\n"
      "chargers:\n"
      "  - {id: a, password: secret1, battery_kwh: 60, profile: easee, mode: smart}\n"
      "  - {id: b, phases: 1, phase_switching: true, safe_current_a: 0}\n"
      "circuits:\n  - {name: c, fuse_a: 16, chargers: [a]}\n"
      "prices:\n"
      "  provider: fixed\n"
      "  time_of_use: [{from_hour: 0, to_hour: 6, dkk_kwh: 1.5}]\n"
      "  grid_tariff:\n"
      "    - valid_from: 2025-10-01\n"
      "      valid_to: 2026-04-01\n"
      "      season: winter\n"
      "      periods: [{from_hour: 0, to_hour: 17, dkk_kwh: 0.25}, {from_hour: 17, to_hour: 24, dkk_kwh: "
      "0.5}]\n"
      "  taxes: {elafgift_dkk_kwh: 0.75}\n"
      "mqtt: {enabled: true, password: pw, topic_prefix: hh, tls: {ca_file: ca, cert_file: c, key_file: k}}\n"
      "ocpp: {port: 9000, tls_cert_file: c, tls_key_file: k, plain_port: 8887, authorize: list, id_tags: "
      "[t]}\n"
      "log_level: debug\n";
  auto first = load_string(yaml, "t.yaml");
  ASSERT_TRUE(first.config) << errors_of(first);
  const Config& c = *first.config;
  EXPECT_EQ(c.site.sharing, SharingPolicy::departure);
  EXPECT_EQ(c.meters[0].role, MeterRole::grid);
  EXPECT_EQ(c.meters[0].poll_ms, 500);
  EXPECT_EQ(c.meters[1].serial.parity, 'E');
  EXPECT_EQ(c.meters[1].poll_ms, 1000);
  EXPECT_EQ(c.chargers[1].safe_current_a, 0.0);
  EXPECT_EQ(c.chargers[0].safe_current_a, 6.0);  // the site's
  EXPECT_EQ(c.mqtt.topic_prefix, "hh/");
  EXPECT_EQ(c.prices.grid_tariff.at(0).periods.size(), 2u);
  EXPECT_EQ(c.prices.elafgift_dkk_kwh, 0.75);
  EXPECT_EQ(c.log_level, LogLevel::debug);
  const std::string dump = to_yaml(c);
  EXPECT_EQ(dump.find("secret1"), std::string::npos) << dump;
  for (const char* written : {"sharing: departure", "parity: E", "plain_port: 8887", "valid_to: 2026-04-01",
                              "elafgift_dkk_kwh: 0.75", "ca_file: ca", "profile: auto", "battery_kwh: 60"})
    EXPECT_NE(dump.find(written), std::string::npos) << written << " in\n" << dump;
  auto second = load_string(dump, "dump.yaml");
  ASSERT_TRUE(second.config) << errors_of(second) << dump;
  EXPECT_EQ(to_yaml(*second.config), dump);
  // "auto", as the dump writes an unset profile, reads back as unset: detect from the BootNotification.
  EXPECT_EQ(second.config->chargers[1].profile, "");
}

TEST(Config, MissingFileIsAClearError) {
  auto r = load_file("/nonexistent/hemd.yaml");
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_NE(r.errors[0].to_string().find("/nonexistent/hemd.yaml"), std::string::npos);
  EXPECT_NE(r.errors[0].message.find("cannot open"), std::string::npos);
}

// Found by the config fuzz target: yaml-cpp's message for a bad escape holds the byte itself, so a control
// byte in the file made a config error of two lines (and a raw byte in the log). Every error is one line.
TEST(Config, AnErrorIsOneLineWhateverTheFileHolds) {
  for (const std::string& text :
       {std::string("site: {name: \"\\\n\"}\n"), std::string("site: {name: \"\\\x07\"}\n"),
        std::string("chargers:\n  - {id: \"a\\nb\"}\n  - {id: \"a\\nb\"}\n")}) {
    const auto r = load_string(text, "t.yaml");
    ASSERT_FALSE(r.errors.empty()) << text;
    for (const auto& e : r.errors)
      for (char c : e.to_string()) EXPECT_FALSE(static_cast<unsigned char>(c) < 0x20) << e.to_string();
  }
}

}  // namespace
}  // namespace hemd::config
