#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <set>
#include <sstream>
#include <tuple>

#include "config/reader.h"

namespace hemd::config {

namespace {

const std::vector<std::string> log_levels = {"error", "warning", "notice", "info", "debug"};

void read_site(MapReader& m, Site& s) {
  m.text("name", s.name);
  m.number("main_fuse_a", s.main_fuse_a, 6, 250, "A per phase", true);
  m.integer("phases", s.phases, 1, 3);
  if (s.phases == 2) m.reader().error(m.mark("phases"), m.path("phases"), "found 2, expected 1 or 3");
  m.number("voltage_v", s.voltage_v, 100, 260, "V (phase to neutral)");
  m.number("safe_current_a", s.safe_current_a, 0, 32, "A");
  m.choice("sharing", s.sharing, {"fair", "priority", "departure"});
}

void read_meter(MapReader& m, Meter& meter) {
  meter.line = m.mark().line + 1;
  m.text("name", meter.name, true);
  m.choice("role", meter.role, {"pv", "grid"});
  if (!m.has("role")) m.reader().error(m.mark(), m.path("role"), "missing, expected one of: pv, grid");
  m.text("device", meter.device, true);
  meter.transport = "tcp";
  m.choice("transport", meter.transport, {"tcp", "rtu"});
  m.text("host", meter.host);
  m.integer("port", meter.port, 1, 65535);
  m.integer("unit", meter.unit, 0, 255);
  m.integer("timeout_ms", meter.timeout_ms, 50, 10000);
  m.number("stale_after_s", meter.stale_after_s, 1, 3600, "s");
  m.integer("poll_ms", meter.poll_ms, 100, 60000);
  if (meter.poll_ms == 0) meter.poll_ms = meter.role == "grid" ? 500 : 1000;
  m.map("serial", [&](MapReader& s) {
    s.text("device", meter.serial.device, true);
    s.integer("baud", meter.serial.baud, 1200, 115200);
    std::string parity(1, meter.serial.parity);
    s.choice("parity", parity, {"N", "E", "O"});
    meter.serial.parity = parity[0];
    s.integer("data_bits", meter.serial.data_bits, 7, 8);
    s.integer("stop_bits", meter.serial.stop_bits, 1, 2);
  });
  if (meter.transport == "tcp" && meter.host.empty())
    m.reader().error(m.mark(), m.path("host"),
                     "missing, expected the device's host name or address (transport tcp)");
  if (meter.transport == "rtu" && meter.serial.device.empty())
    m.reader().error(m.mark(), m.path("serial.device"),
                     "missing, expected a serial device such as /dev/ttyUSB0 (transport rtu)");
}

void read_charger(MapReader& m, Charger& c) {
  m.text("id", c.id, true);
  m.choice("ocpp_version", c.ocpp_version, {"auto", "1.6", "2.0.1"});
  m.text("password", c.password);
  m.number("min_current_a", c.min_current_a, 6, 32, "A");
  m.number("max_current_a", c.max_current_a, 6, 80, "A");
  m.integer("phases", c.phases, 1, 3);
  if (c.phases == 2) m.reader().error(m.mark("phases"), m.path("phases"), "found 2, expected 1 or 3");
  m.integer("phase_offset", c.phase_offset, 0, 2);
  m.boolean("phase_switching", c.phase_switching);
  m.integer("priority", c.priority, 0, 100);
  std::string mode = to_string(c.mode);
  m.choice("mode", mode, {"off", "now", "minpv", "pv", "smart"});
  c.mode = *charge_mode_from_string(mode);
  if (m.has("safe_current_a")) {
    double v = 0;
    m.number("safe_current_a", v, 0, 32, "A");
    c.safe_current_a = v;
  }
  m.text("profile", c.profile);
  if (m.has("battery_kwh")) {
    double v = 0;
    m.number("battery_kwh", v, 5, 250, "kWh");
    c.battery_kwh = v;
  }
  if (c.min_current_a > c.max_current_a)
    m.reader().error(
        m.mark("min_current_a"), m.path("min_current_a"),
        fmt::format("found {} A above max_current_a {} A, expected min_current_a <= max_current_a",
                    c.min_current_a, c.max_current_a));
}

TariffPeriod read_period(MapReader& m) {
  TariffPeriod p;
  m.integer("from_hour", p.from_hour, 0, 23, true);
  m.integer("to_hour", p.to_hour, 1, 24, true);
  m.number("dkk_kwh", p.dkk_kwh, -5, 20, "DKK/kWh", true);
  if (p.to_hour <= p.from_hour)
    m.reader().error(m.mark("to_hour"), m.path("to_hour"),
                     fmt::format("found {}, expected an hour after from_hour {}", p.to_hour, p.from_hour));
  return p;
}

void check_date(MapReader& m, const std::string& key, const std::string& text) {
  int y = 0, mo = 0, d = 0;
  char rest = 0;
  if (text.empty()) return;
  if (std::sscanf(text.c_str(), "%4d-%2d-%2d%c", &y, &mo, &d, &rest) != 3 || text.size() != 10 || mo < 1 ||
      mo > 12 || d < 1 || d > 31)
    m.reader().error(m.mark(key), m.path(key), fmt::format("found '{}', expected a date YYYY-MM-DD", text));
}

void read_prices(MapReader& m, Prices& p) {
  m.boolean("enabled", p.enabled);
  m.choice("area", p.area, {"DK1", "DK2", "SE3", "SE4", "NO2", "DE-LU", "NL", "FI"});
  m.choice("provider", p.provider, {"energidataservice", "fixed", "entsoe"});
  m.text("base_url", p.base_url);
  m.text("entsoe_token", p.entsoe_token);
  m.number("dkk_per_eur", p.dkk_per_eur, 0.01, 100, "DKK per EUR");
  if (p.provider == "entsoe" && !m.has("base_url")) p.base_url = "https://web-api.tp.entsoe.eu";
  m.number("supplier_markup_dkk_kwh", p.supplier_markup_dkk_kwh, -5, 5, "DKK/kWh");
  m.number("export_fee_dkk_kwh", p.export_fee_dkk_kwh, 0, 5, "DKK/kWh");
  m.number("vat", p.vat, 0, 1, "fraction (0.25 = 25 %)");
  m.text("grid_company_gln", p.grid_company_gln);
  m.text_list("grid_tariff_codes", p.grid_tariff_codes);
  m.number("fixed_price_dkk_kwh", p.fixed_price_dkk_kwh, 0, 20, "DKK/kWh");
  m.number("fixed_export_dkk_kwh", p.fixed_export_dkk_kwh, -5, 20, "DKK/kWh");
  m.list("time_of_use", [&](MapReader& t, int) { p.time_of_use.push_back(read_period(t)); });
  m.boolean("hourly_mean", p.hourly_mean);
  m.integer("fetch_timeout_s", p.fetch_timeout_s, 1, 300);
  m.list("grid_tariff", [&](MapReader& t, int) {
    GridTariff g;
    g.line = t.mark().line + 1;
    t.text("valid_from", g.valid_from, true);
    check_date(t, "valid_from", g.valid_from);
    t.text("valid_to", g.valid_to);
    check_date(t, "valid_to", g.valid_to);
    t.choice("season", g.season, {"all", "winter", "summer"});
    t.list("periods", [&](MapReader& pm, int) { g.periods.push_back(read_period(pm)); });
    if (!t.has("periods"))
      t.reader().error(t.mark(), t.path("periods"),
                       "missing, expected a list of {from_hour, to_hour, dkk_kwh} covering the day");
    std::vector<int> uncovered;
    for (int h = 0; h < 24 && !g.periods.empty(); ++h)
      if (std::none_of(g.periods.begin(), g.periods.end(),
                       [h](const TariffPeriod& p) { return h >= p.from_hour && h < p.to_hour; }))
        uncovered.push_back(h);
    if (!uncovered.empty())
      t.reader().error(
          t.mark("periods"), t.path("periods"),
          fmt::format("hour {} is not covered, expected periods covering hours 0 to 24", uncovered.front()));
    p.grid_tariff.push_back(std::move(g));
  });
  m.map("taxes", [&](MapReader& t) {
    auto optional = [&](const char* key, std::optional<double>& out) {
      if (!t.has(key)) return;
      double v = 0;
      t.number(key, v, -1, 5, "DKK/kWh excluding VAT");
      out = v;
    };
    optional("elafgift_dkk_kwh", p.elafgift_dkk_kwh);
    optional("transmission_tariff_dkk_kwh", p.transmission_tariff_dkk_kwh);
    optional("system_tariff_dkk_kwh", p.system_tariff_dkk_kwh);
  });
  if (p.provider == "entsoe" && p.entsoe_token.empty())
    m.reader().error(m.mark(), m.path("entsoe_token"),
                     "missing, expected the ENTSO-E API token (provider entsoe)");
}

void read_mqtt(MapReader& m, Mqtt& q) {
  m.boolean("enabled", q.enabled);
  m.text("host", q.host);
  m.integer("port", q.port, 1, 65535);
  m.text("username", q.username);
  m.text("password", q.password);
  m.text("client_id", q.client_id);
  m.text("topic_prefix", q.topic_prefix);
  m.text("discovery_prefix", q.discovery_prefix);
  m.number("min_interval_s", q.min_interval_s, 0, 3600, "s");
  m.number("heartbeat_s", q.heartbeat_s, 1, 86400, "s");
  m.map("tls", [&](MapReader& t) {
    t.text("ca_file", q.tls_ca_file, true);
    t.text("cert_file", q.tls_cert_file);
    t.text("key_file", q.tls_key_file);
    if (q.tls_cert_file.empty() != q.tls_key_file.empty())
      t.reader().error(t.mark(), t.path("key_file"), "expected cert_file and key_file together, or neither");
  });
  if (!q.topic_prefix.empty() && q.topic_prefix.back() != '/') q.topic_prefix += '/';
}

void read_ocpp(MapReader& m, Ocpp& o) {
  m.boolean("enabled", o.enabled);
  m.text("listen_address", o.listen_address);
  m.integer("port", o.port, 1, 65535);
  m.text("path", o.path);
  if (o.path.empty() || o.path[0] != '/')
    m.reader().error(m.mark("path"), m.path("path"),
                     fmt::format("found '{}', expected a path starting with /", o.path));
  m.choice("authorize", o.authorize, {"free", "list"});
  m.text_list("id_tags", o.id_tags);
  m.text("tls_cert_file", o.tls_cert_file);
  m.text("tls_key_file", o.tls_key_file);
  m.text("tls_client_ca_file", o.tls_client_ca_file);
  if (o.tls_cert_file.empty() != o.tls_key_file.empty())
    m.reader().error(m.mark(), m.path("tls_key_file"),
                     "expected tls_cert_file and tls_key_file together, or neither");
  if (!o.tls_client_ca_file.empty() && o.tls_cert_file.empty())
    m.reader().error(m.mark("tls_client_ca_file"), m.path("tls_client_ca_file"),
                     "client certificates need TLS: expected tls_cert_file and tls_key_file too");
  if (m.has("plain_port")) {
    m.integer("plain_port", o.plain_port, 1, 65535);
    if (o.tls_cert_file.empty())
      m.reader().error(
          m.mark("plain_port"), m.path("plain_port"),
          "a second, plain listener is for sites with TLS: without tls_cert_file, `port` is plain");
    else if (o.plain_port == o.port)
      m.reader().error(m.mark("plain_port"), m.path("plain_port"),
                       fmt::format("found {}, expected a port other than ocpp.port", o.plain_port));
  }
  m.integer("profile_duration_s", o.profile_duration_s, 30, 86400);
  m.integer("call_timeout_s", o.call_timeout_s, 5, 300);
  if (o.authorize == "list" && o.id_tags.empty())
    m.reader().error(m.mark(), m.path("id_tags"), "missing, expected at least one idTag (authorize: list)");
}

void read_storage(MapReader& m, Storage& s) {
  m.text("path", s.path);
  m.integer("retention_days", s.retention_days, 1, 36500);
  m.integer("measurement_interval_s", s.measurement_interval_s, 1, 3600);
}

void read_control(MapReader& m, Control& c) {
  m.integer("interval_ms", c.interval_ms, 100, 60000);
  m.number("enable_delay_s", c.enable_delay_s, 0, 3600, "s");
  m.number("disable_delay_s", c.disable_delay_s, 0, 3600, "s");
  m.number("stop_import_w", c.stop_import_w, 0, 50000, "W");
  m.number("fuse_margin_a", c.fuse_margin_a, 0, 20, "A");
  m.number("ramp_up_s", c.ramp_up_s, 0, 600, "s");
  m.number("phase_switch_delay_s", c.phase_switch_delay_s, 0, 3600, "s");
  m.number("min_phase_switch_interval_s", c.min_phase_switch_interval_s, 60, 86400, "s");
}

void check_references(Reader& r, MapReader& top, Config& c) {
  std::set<std::string> ids;
  for (std::size_t i = 0; i < c.chargers.size(); ++i) {
    if (!ids.insert(c.chargers[i].id).second)
      r.error(top.mark("chargers"), fmt::format("chargers[{}].id", i),
              fmt::format("found '{}' twice, expected each charger id once", c.chargers[i].id));
    if (c.chargers[i].phases > c.site.phases)
      r.error(
          top.mark("chargers"), fmt::format("chargers[{}].phases", i),
          fmt::format("found {}, expected at most site.phases ({})", c.chargers[i].phases, c.site.phases));
  }
  std::set<std::string> names;
  int grid_meters = 0;
  for (std::size_t i = 0; i < c.meters.size(); ++i) {
    if (!names.insert(c.meters[i].name).second)
      r.error(top.mark("meters"), fmt::format("meters[{}].name", i),
              fmt::format("found '{}' twice, expected each meter name once", c.meters[i].name));
    if (c.meters[i].role == "grid") ++grid_meters;
  }
  if (grid_meters > 1)
    r.error(top.mark("meters"), "meters",
            fmt::format("found {} grid meters, expected at most one", grid_meters));
  std::vector<std::string> id_list(ids.begin(), ids.end());
  for (std::size_t i = 0; i < c.circuits.size(); ++i) {
    const auto& circuit = c.circuits[i];
    if (circuit.fuse_a > c.site.main_fuse_a)
      r.error(top.mark("circuits"), fmt::format("circuits[{}].fuse_a", i),
              fmt::format("found {} A, expected at most site.main_fuse_a ({} A)", circuit.fuse_a,
                          c.site.main_fuse_a));
    for (std::size_t j = 0; j < circuit.chargers.size(); ++j) {
      const std::string& id = circuit.chargers[j];
      if (ids.count(id)) continue;
      std::string msg = fmt::format("found '{}', expected the id of a charger in chargers", id);
      if (auto near = did_you_mean(id, id_list); !near.empty())
        msg += fmt::format(" (did you mean '{}'?)", near);
      r.error(top.mark("circuits"), fmt::format("circuits[{}].chargers[{}]", i, j), msg);
    }
  }
}

// When the grid meter is stale every charger falls back to its safe current, with no measurement to share by:
// those safe currents together must fit every fuse on every phase, or the fallback itself could trip it.
void check_safe_currents(Reader& r, MapReader& top, const Config& c) {
  auto safe = [&](const Charger& ch) {
    const double s = std::min(ch.safe_current_a.value_or(c.site.safe_current_a), ch.max_current_a);
    return s >= ch.min_current_a ? s : 0.0;
  };
  auto check = [&](const std::string& what, double fuse, const std::vector<const Charger*>& members,
                   const std::string& key) {
    // One message per fuse, for its most loaded phase.
    double worst = 0;
    int worst_phase = 0;
    for (int ph = 0; ph < c.site.phases; ++ph) {
      double sum = 0;
      for (const Charger* ch : members)
        for (int k = 0; k < ch->phases; ++k)
          if ((ch->phase_offset + k) % c.site.phases == ph) sum += safe(*ch);
      if (sum > worst) worst = sum, worst_phase = ph;
    }
    if (worst > fuse)
      r.error(
          top.mark(key), key,
          fmt::format("the chargers' safe currents add up to {} A on L{}, expected at most {} ({} A): lower "
                      "safe_current_a",
                      worst, worst_phase + 1, what, fuse));
  };
  std::vector<const Charger*> all;
  for (const auto& ch : c.chargers) all.push_back(&ch);
  check("site.main_fuse_a", c.site.main_fuse_a, all, "chargers");
  for (std::size_t i = 0; i < c.circuits.size(); ++i) {
    std::vector<const Charger*> members;
    for (const auto& ch : c.chargers)
      if (std::find(c.circuits[i].chargers.begin(), c.circuits[i].chargers.end(), ch.id) !=
          c.circuits[i].chargers.end())
        members.push_back(&ch);
    check(fmt::format("circuits[{}].fuse_a", i), c.circuits[i].fuse_a, members, "circuits");
  }
}

}  // namespace

LoadResult load_string(const std::string& text, const std::string& file) {
  LoadResult result;
  Reader r(file, result.errors);
  const auto parsed = r.parse(text);
  if (!parsed) return result;
  const YAML::Node& root = *parsed;
  if (!root.IsDefined() || root.IsNull()) {
    r.error(YAML::Mark(), "", "the file is empty, expected at least a site: section");
    return result;
  }
  Config c;
  c.file = file;
  {
    MapReader top(r, root, "", root.Mark());
    if (!top.has("site")) r.error(top.mark(), "site", "missing, expected the site section with main_fuse_a");
    top.map("site", [&](MapReader& m) { read_site(m, c.site); });
    top.list("meters", [&](MapReader& m, int) { read_meter(m, c.meters.emplace_back()); });
    top.list("chargers", [&](MapReader& m, int) { read_charger(m, c.chargers.emplace_back()); });
    top.list("circuits", [&](MapReader& m, int) {
      auto& circuit = c.circuits.emplace_back();
      m.text("name", circuit.name, true);
      m.number("fuse_a", circuit.fuse_a, 6, 250, "A per phase", true);
      m.text_list("chargers", circuit.chargers);
    });
    top.map("prices", [&](MapReader& m) { read_prices(m, c.prices); });
    top.map("mqtt", [&](MapReader& m) { read_mqtt(m, c.mqtt); });
    top.map("ocpp", [&](MapReader& m) { read_ocpp(m, c.ocpp); });
    top.map("storage", [&](MapReader& m) { read_storage(m, c.storage); });
    top.map("control", [&](MapReader& m) { read_control(m, c.control); });
    std::string level = to_string(c.log_level);
    top.choice("log_level", level, log_levels);
    c.log_level = log_level_from_string(level).value_or(c.log_level);
    check_references(r, top, c);
    check_safe_currents(r, top, c);
  }
  for (auto& ch : c.chargers)
    if (!ch.safe_current_a) ch.safe_current_a = c.site.safe_current_a;
  result.keys = r.keys();
  c.positions = r.positions();
  sort_by_place(result.errors);
  if (result.errors.empty()) result.config = std::move(c);
  return result;
}

LoadResult load_file(const std::string& path) {
  LoadResult result;
  const auto text = read_text_file(path, result.errors);
  return text ? load_string(*text, path) : result;
}

const char* to_string(LogLevel l) {
  return log_levels[static_cast<int>(l) - 3].c_str();
}

std::optional<LogLevel> log_level_from_string(const std::string& s) {
  for (std::size_t i = 0; i < log_levels.size(); ++i)
    if (s == log_levels[i]) return static_cast<LogLevel>(i + 3);
  return std::nullopt;
}

}  // namespace hemd::config
