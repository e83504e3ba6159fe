// Every key of hemd.yaml, declared once: name, type, range, default (the field's initial value in
// config/config.h) and meaning. Loading, validation, `--check-config`'s dump and docs/configuration.md all
// come from these declarations. To add a key: a field in config/config.h, one line here, then regenerate the
// reference (docs/configuration.md says how).
#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <set>

#include "config/schema.h"

namespace hemd::config::schema {

namespace {

const char* const phases_1_or_3 = "`1` or `3`";

std::string date_error(const std::string& text) {
  int y = 0, mo = 0, d = 0;
  char rest = 0;
  if (text.empty()) return "";
  if (std::sscanf(text.c_str(), "%4d-%2d-%2d%c", &y, &mo, &d, &rest) != 3 || text.size() != 10 || mo < 1 ||
      mo > 12 || d < 1 || d > 31)
    return fmt::format("found '{}', expected a date YYYY-MM-DD", text);
  return "";
}

Section<Site> site() {
  return {{
      text("name", &Site::name, "shown in Home Assistant and logs"),
      number("main_fuse_a", &Site::main_fuse_a, 6, 250, "A per phase", "the main fuse, per phase").needed(),
      integer("phases", &Site::phases, 1, 3, "phases of the grid connection")
          .range(phases_1_or_3)
          .check(
              [](const Site& s) -> std::string { return s.phases == 2 ? "found 2, expected 1 or 3" : ""; }),
      number("voltage_v", &Site::voltage_v, 100, 260, "V (phase to neutral)", "phase-to-neutral voltage"),
      number("safe_current_a", &Site::safe_current_a, 0, 32, "A",
             "per charger when hemd cannot trust its data (below a charger's minimum means pause); together "
             "they must fit every fuse"),
      choice("sharing", &Site::sharing,
             named({SharingPolicy::fair, SharingPolicy::priority, SharingPolicy::departure}),
             "how chargers share a fuse: `fair` (the car that has had less first), `priority` "
             "(`chargers[].priority`), `departure` (earliest first)"),
  }};
}

Section<Serial> serial() {
  return {{
      text("device", &Serial::device, "e.g. `/dev/ttyUSB0`").needed(),
      integer("baud", &Serial::baud, 1200, 115200, "bits per second"),
      choice("parity", &Serial::parity, {{"N", 'N'}, {"E", 'E'}, {"O", 'O'}}, "none, even or odd"),
      integer("data_bits", &Serial::data_bits, 7, 8, "data bits per character"),
      integer("stop_bits", &Serial::stop_bits, 1, 2, "stop bits per character"),
  }};
}

Section<Meter> meter() {
  const auto tcp = [](const Meter& m) { return m.transport == "tcp"; };
  Section<Meter> s{{
      text("name", &Meter::name, "unique name, used by `hemd read NAME`").needed(),
      choice("role", &Meter::role, named({MeterRole::pv, MeterRole::grid, MeterRole::battery}),
             "`pv` (an inverter; several add up), `grid` (the grid meter; at most one) or `battery` (a "
             "home battery: power positive while it discharges, like import, and its state of charge)")
          .needed(),
      text("device", &Meter::device,
           "`sunspec`, or a register map in `config/devices/` (e.g. `eastron_sdm630`)")
          .needed(),
      choice("transport", &Meter::transport, named({"tcp", "rtu"}), "Modbus TCP, or RTU over RS-485"),
      text("host", &Meter::host, "host name or address (required for `tcp`)")
          .written_if(tcp)
          .check([](const Meter& m) -> std::string {
            return m.transport == "tcp" && m.host.empty()
                       ? "missing, expected the device's host name or address (transport tcp)"
                       : "";
          }),
      integer("port", &Meter::port, 1, 65535, "TCP port").written_if(tcp),
      mapping("serial", &Meter::serial, serial(), "the RS-485 line (transport `rtu`)")
          .written_if([tcp](const Meter& m) { return !tcp(m); }),
      integer("unit", &Meter::unit, 0, 255, "Modbus unit id"),
      integer("timeout_ms", &Meter::timeout_ms, 50, 10000, "per request, ms"),
      number(
          "stale_after_s", &Meter::stale_after_s, 1, 3600, "s",
          "a reading older than this is stale; a stale grid meter sends every charger to its safe current"),
      integer("poll_ms", &Meter::poll_ms, 100, 60000,
              "how often the device is read, ms; a grid phase that rises to 90 % of the main fuse runs the "
              "control cycle at once, so an overload reaches the chargers within about this long. Devices on "
              "one connection are read at the fastest of their rates")
          .shown("`500` (grid), `1000` (pv, battery)"),
      optional_number("max_power_w", &Meter::max_power_w, 100, 100000, "W",
                      "a battery's rated charge and discharge power: a reading beyond it is refused like any "
                      "absurd value, and the discharge lock's release writes it where the map asks for it "
                      "(unset: what the main fuse can carry)"),
      flag("control", &Meter::control,
           "a battery: hemd may write its discharge lock (the map's `discharge_lock`) while a car charges "
           "from "
           "the grid; without it hemd counts the battery's discharge as import and says so"),
      integer("revert_s", &Meter::revert_s, 10, 3600,
              "a battery under control: the revert timeout hemd writes with the lock, where the device has "
              "one; hemd renews the lock every third of it, so a crashed hemd leaves the battery locked this "
              "long at most"),
  }};
  s.rules.push_back([](MapReader& m, Meter& meter) {
    meter.line = m.mark().line + 1;
    if (meter.poll_ms == 0) meter.poll_ms = meter.role == MeterRole::grid ? 500 : 1000;
    if (meter.transport == "rtu" && meter.serial.device.empty())
      m.reader().error(m.mark(), m.path("serial.device"),
                       "missing, expected a serial device such as /dev/ttyUSB0 (transport rtu)");
  });
  return s;
}

Section<Battery> battery() {
  return {{
      number("priority_soc", &Battery::priority_soc, 0, 100, "%",
             "below this state of charge the home battery takes the surplus first and the cars get what is "
             "left; above it the cars come first, and the battery's charging power counts as surplus"),
      number("buffer_soc", &Battery::buffer_soc, 0, 100, "%",
             "above this state of charge a PV-led car may ride through a cloud on the battery instead of "
             "pausing or importing (`100`: never); otherwise a discharging battery never counts as surplus"),
  }};
}

Section<Charger> charger() {
  return {{
      text("id", &Charger::id, "the charge point id; the charger connects to `ws://<hemd>:<port><path>/<id>`")
          .needed(),
      choice("ocpp_version", &Charger::ocpp_version, named({"auto", "1.6", "2.0.1"}),
             "`auto` (the charger's first offer), or the only version accepted from it"),
      secret("password", &Charger::password,
             "HTTP Basic password (OCPP security profile 1/2); put it in the environment"),
      number("min_current_a", &Charger::min_current_a, 6, 32, "A",
             "lowest current the car accepts; below it hemd pauses, never 5 A")
          .check([](const Charger& c) -> std::string {
            if (c.min_current_a <= c.max_current_a) return "";
            return fmt::format("found {} A above max_current_a {} A, expected min_current_a <= max_current_a",
                               c.min_current_a, c.max_current_a);
          }),
      number("max_current_a", &Charger::max_current_a, 6, 80, "A", "at least `min_current_a`"),
      integer("phases", &Charger::phases, 1, 3, "phases the charger is wired for, at most `site.phases`")
          .range(phases_1_or_3)
          .check([](const Charger& c) -> std::string {
            return c.phases == 2 ? "found 2, expected 1 or 3" : "";
          }),
      integer("phase_offset", &Charger::phase_offset, 0, 2,
              "grid phase on the charger's L1: 0 = L1, 1 = L2, 2 = L3 (phase rotation)"),
      flag("phase_switching", &Charger::phase_switching,
           "the charger can switch between 1 and 3 phases (go-e, Wattpilot, Garo, …: `numberPhases` in its "
           "profile): PV-led modes charge on one phase (from 1.4 kW) when the surplus cannot carry three "
           "(4.1 kW)"),
      integer("priority", &Charger::priority, 0, 100, "higher first under `sharing: priority`"),
      choice("mode", &Charger::mode,
             named({ChargeMode::off, ChargeMode::now, ChargeMode::minpv, ChargeMode::pv, ChargeMode::smart}),
             "start-up mode: `off`, `now` (as fast as the fuse allows), `minpv` (minimum always, more from "
             "surplus), `pv` (surplus only), `smart` (the need by the departure at the lowest cost)"),
      optional_number("safe_current_a", &Charger::safe_current_a, 0, 32, "A", "this charger's safe current")
          .shown("`site.safe_current_a`"),
      text("profile", &Charger::profile,
           "quirk profile from `config/chargers/` (otherwise matched from the BootNotification)")
          .unset_is("auto"),
      optional_number(
          "battery_kwh", &Charger::battery_kwh, 5, 250, "kWh",
          "the usual car's battery: with a target SoC set (`target_soc`) and the car's SoC "
          "reported, smart mode plans what the SoC lacks, plus a tenth for charging losses, instead "
          "of the energy target"),
  }};
}

Section<Circuit> circuit() {
  return {{
      text("name", &Circuit::name, "shown in logs and decisions").needed(),
      number("fuse_a", &Circuit::fuse_a, 6, 250, "A per phase",
             "the circuit's fuse, at most `site.main_fuse_a`")
          .needed(),
      text_list("chargers", &Circuit::chargers, "charger ids on this circuit; each must exist in `chargers`"),
  }};
}

Section<TariffPeriod> period() {
  return {{
      integer("from_hour", &TariffPeriod::from_hour, 0, 23, "first Danish local hour").needed(),
      integer("to_hour", &TariffPeriod::to_hour, 1, 24, "the hour it ends (exclusive)")
          .needed()
          .check([](const TariffPeriod& p) -> std::string {
            if (p.to_hour > p.from_hour) return "";
            return fmt::format("found {}, expected an hour after from_hour {}", p.to_hour, p.from_hour);
          }),
      number("dkk_kwh", &TariffPeriod::dkk_kwh, -5, 20, "DKK/kWh", "the price in these hours").needed(),
  }};
}

Section<GridTariff> grid_tariff() {
  Section<GridTariff> s{{
      text("valid_from", &GridTariff::valid_from, "first day, YYYY-MM-DD (Danish date)")
          .needed()
          .check([](const GridTariff& g) { return date_error(g.valid_from); }),
      text("valid_to", &GridTariff::valid_to, "the day it ends (exclusive); open-ended when not set")
          .omitted_when_empty()
          .check([](const GridTariff& g) { return date_error(g.valid_to); }),
      choice("season", &GridTariff::season, named({"all", "winter", "summer"}),
             "`winter` is October to March, `summer` April to September"),
      list("periods", &GridTariff::periods, period(), "the day's hours, DKK/kWh excluding VAT", true)
          .needed("a list of {from_hour, to_hour, dkk_kwh} covering the day")
          .omitted_when_empty()
          .check([](const GridTariff& g) -> std::string {
            for (int h = 0; h < 24 && !g.periods.empty(); ++h)
              if (std::none_of(g.periods.begin(), g.periods.end(),
                               [h](const TariffPeriod& p) { return h >= p.from_hour && h < p.to_hour; }))
                return fmt::format("hour {} is not covered, expected periods covering hours 0 to 24", h);
            return "";
          }),
  }};
  s.rules.push_back([](MapReader& m, GridTariff& g) { g.line = m.mark().line + 1; });
  return s;
}

Section<Prices> taxes() {
  const char* unit = "DKK/kWh excluding VAT";
  return {{
      optional_number("elafgift_dkk_kwh", &Prices::elafgift_dkk_kwh, -1, 5, unit, "the electricity tax"),
      optional_number("transmission_tariff_dkk_kwh", &Prices::transmission_tariff_dkk_kwh, -1, 5, unit,
                      "Energinet's transmission tariff"),
      optional_number("system_tariff_dkk_kwh", &Prices::system_tariff_dkk_kwh, -1, 5, unit,
                      "Energinet's system tariff"),
  }};
}

Section<Prices> prices() {
  Section<Prices> s{{
      flag("enabled", &Prices::enabled, "fetch prices; without prices hemd plans on PV surplus only"),
      choice("area", &Prices::area, named({"DK1", "DK2", "SE3", "SE4", "NO2", "DE-LU", "NL", "FI"}),
             "bidding zone; the zones outside Denmark with `provider: entsoe`"),
      choice("provider", &Prices::provider, named({"energidataservice", "fixed", "entsoe"}),
             "Energi Data Service, a fixed price (with `time_of_use`), or the ENTSO-E transparency platform "
             "(day-ahead, any zone above)"),
      text("base_url", &Prices::base_url,
           "API base (tests point it at a local server); `https://web-api.tp.entsoe.eu` for `entsoe`"),
      secret("entsoe_token", &Prices::entsoe_token, "ENTSO-E API token (required for `entsoe`; never logged)")
          .check([](const Prices& p) -> std::string {
            return p.provider == "entsoe" && p.entsoe_token.empty()
                       ? "missing, expected the ENTSO-E API token (provider entsoe)"
                       : "";
          }),
      number("dkk_per_eur", &Prices::dkk_per_eur, 0.01, 100, "DKK per EUR",
             "ENTSO-E quotes EUR/MWh; hemd converts at this rate and keeps one currency (`1` shows EUR)"),
      number("supplier_markup_dkk_kwh", &Prices::supplier_markup_dkk_kwh, -5, 5, "DKK/kWh",
             "your supplier's mark-up, excluding VAT"),
      number("export_fee_dkk_kwh", &Prices::export_fee_dkk_kwh, 0, 5, "DKK/kWh",
             "deducted from the spot price for exported energy"),
      number("vat", &Prices::vat, 0, 1, "fraction (0.25 = 25 %)", "VAT"),
      text("grid_company_gln", &Prices::grid_company_gln,
           "your grid company's GLN (e.g. N1 `5790001089030`); its tariff comes from DataHub"),
      text_list("grid_tariff_codes", &Prices::grid_tariff_codes,
                "its net-tariff charge type codes, rebate lines included (e.g. `[\"CD\", \"CD R\"]`)"),
      number("fixed_price_dkk_kwh", &Prices::fixed_price_dkk_kwh, 0, 20, "DKK/kWh",
             "the all-in price (VAT included) for `provider: fixed`"),
      number("fixed_export_dkk_kwh", &Prices::fixed_export_dkk_kwh, -5, 20, "DKK/kWh",
             "what exporting earns with `provider: fixed`"),
      list("time_of_use", &Prices::time_of_use, period(),
           "`provider: fixed`: all-in prices overriding `fixed_price_dkk_kwh` in those hours", true)
          .omitted_when_empty(),
      flag("hourly_mean", &Prices::hourly_mean, "use hourly means (meters still settled per hour)"),
      integer("fetch_timeout_s", &Prices::fetch_timeout_s, 1, 300, "how long one request may take, s"),
      list("grid_tariff", &Prices::grid_tariff, grid_tariff(),
           "instead of DataHub: your grid company's net tariff, by date, season and Danish local hour")
          .omitted_when_empty(),
      group("taxes", taxes(),
            "fixed overrides, for every date, of the built-in dated rates ([prices.md](prices.md))")
          .note("built-in dated rates where not set"),
  }};
  s.rules.push_back([](MapReader& m, Prices& p) {
    if (p.provider == "entsoe" && !m.has("base_url")) p.base_url = "https://web-api.tp.entsoe.eu";
  });
  return s;
}

Section<PvArray> pv_array() {
  return {{
      number("kwp", &PvArray::kwp, 0.1, 1000, "kWp", "the modules' peak power").needed(),
      number("tilt", &PvArray::tilt_deg, 0, 90, "degrees", "0 flat, 90 upright"),
      number("azimuth", &PvArray::azimuth_deg, -180, 180, "degrees",
             "the way the modules face: 0 south, -90 east, 90 west"),
  }};
}

Section<SolarForecast> solar_forecast() {
  const auto used = [](const SolarForecast& f) { return f.service != "none"; };
  Section<SolarForecast> s{{
      choice("service", &SolarForecast::service, named({"none", "open-meteo", "forecast.solar"}),
             "where the forecast comes from: `open-meteo` (free, no key, quarter-hourly), `forecast.solar` "
             "(free, hourly, 12 requests an hour), or `none` (the last week's production only)"),
      number("latitude", &SolarForecast::latitude, -90, 90, "degrees", "the site, north positive")
          .written_if(used)
          .check([used](const SolarForecast& f) -> std::string {
            return used(f) && f.latitude == 0 && f.longitude == 0
                       ? "missing, expected the site's latitude and longitude (the forecast is for a place)"
                       : "";
          }),
      number("longitude", &SolarForecast::longitude, -180, 180, "degrees", "the site, east positive")
          .written_if(used),
      list("arrays", &SolarForecast::arrays, pv_array(),
           "the PV planes (one per roof face); their forecasts add up")
          .written_if(used)
          .check([used](const SolarForecast& f) -> std::string {
            return used(f) && f.arrays.empty()
                       ? "missing, expected at least one PV array (kwp, tilt, azimuth)"
                       : "";
          }),
      text("url", &SolarForecast::url, "the service's base address; empty for the public one")
          .written_if(used),
      integer("refresh_min", &SolarForecast::refresh_min, 15, 1440,
              "minutes between forecasts (a failed request is retried sooner, backing off)")
          .written_if(used),
      number("performance_ratio", &SolarForecast::performance_ratio, 0.3, 1.2, "",
             "the share of the modules' rating that reaches the grid side at full sun; corrected further by "
             "what the site really produces")
          .written_if(used),
  }};
  return s;
}

Section<Mqtt> mqtt_tls() {
  return {{
      text("ca_file", &Mqtt::tls_ca_file, "CA file: enables TLS").needed(),
      text("cert_file", &Mqtt::tls_cert_file, "client certificate, with `key_file`"),
      text("key_file", &Mqtt::tls_key_file, "its key").check([](const Mqtt& q) -> std::string {
        return q.tls_cert_file.empty() != q.tls_key_file.empty()
                   ? "expected cert_file and key_file together, or neither"
                   : "";
      }),
  }};
}

Section<Mqtt> mqtt() {
  Section<Mqtt> s{{
      flag("enabled", &Mqtt::enabled, "connect to a broker"),
      text("host", &Mqtt::host, "the broker"),
      integer("port", &Mqtt::port, 1, 65535, "the broker's port"),
      text("username", &Mqtt::username, "credentials"),
      secret("password", &Mqtt::password, "put it in the environment"),
      text("client_id", &Mqtt::client_id, "the MQTT client id"),
      text("topic_prefix", &Mqtt::topic_prefix, "state and command topics (a `/` is added when missing)"),
      text("discovery_prefix", &Mqtt::discovery_prefix, "Home Assistant discovery"),
      number("min_interval_s", &Mqtt::min_interval_s, 0, 3600, "s",
             "a state topic is published on change, at most this often"),
      number("heartbeat_s", &Mqtt::heartbeat_s, 1, 86400, "s", "and at least this often, changed or not"),
      group("tls", mqtt_tls(), "TLS to the broker").written_if([](const Mqtt& q) {
        return !q.tls_ca_file.empty();
      }),
  }};
  s.rules.push_back([](MapReader&, Mqtt& q) {
    if (!q.topic_prefix.empty() && q.topic_prefix.back() != '/') q.topic_prefix += '/';
  });
  return s;
}

Section<Ocpp> ocpp() {
  return {{
      flag("enabled", &Ocpp::enabled, "run the OCPP listener"),
      text("listen_address", &Ocpp::listen_address, "the address it listens on"),
      integer("port", &Ocpp::port, 1, 65535, "the port chargers connect to"),
      text("path", &Ocpp::path, "chargers connect to `<path>/<charge point id>`")
          .check([](const Ocpp& o) -> std::string {
            return o.path.empty() || o.path[0] != '/'
                       ? fmt::format("found '{}', expected a path starting with /", o.path)
                       : "";
          }),
      choice("authorize", &Ocpp::authorize, named({"free", "list"}), "`free` (every idTag) or `list`"),
      text_list("id_tags", &Ocpp::id_tags, "accepted idTags for `authorize: list`")
          .check([](const Ocpp& o) -> std::string {
            return o.authorize == "list" && o.id_tags.empty()
                       ? "missing, expected at least one idTag (authorize: list)"
                       : "";
          }),
      text(
          "tls_cert_file", &Ocpp::tls_cert_file,
          "server certificate chain (PEM, e.g. from `hemd cert`): `port` then speaks `wss://` only, TLS 1.2+ "
          "with ECDHE-AES-GCM/ChaCha20 (security profile 2, with each charger's `password`)"),
      text("tls_key_file", &Ocpp::tls_key_file, "its key; with `tls_cert_file` or not at all")
          .check([](const Ocpp& o) -> std::string {
            return o.tls_cert_file.empty() != o.tls_key_file.empty()
                       ? "expected tls_cert_file and tls_key_file together, or neither"
                       : "";
          }),
      text("tls_client_ca_file", &Ocpp::tls_client_ca_file,
           "chargers must present a client certificate signed by this CA whose CN is their charge point id "
           "(security profile 3)")
          .check([](const Ocpp& o) -> std::string {
            return !o.tls_client_ca_file.empty() && o.tls_cert_file.empty()
                       ? "client certificates need TLS: expected tls_cert_file and tls_key_file too"
                       : "";
          }),
      integer("plain_port", &Ocpp::plain_port, 1, 65535,
              "with TLS: a plain `ws://` listener on this port as well, for chargers without TLS")
          .shown("— (none)")
          .written_if([](const Ocpp& o) { return o.plain_port != 0; })
          .check([](const Ocpp& o) -> std::string {
            if (o.plain_port == 0) return "";
            if (o.tls_cert_file.empty())
              return "a second, plain listener is for sites with TLS: without tls_cert_file, `port` is plain";
            if (o.plain_port == o.port)
              return fmt::format("found {}, expected a port other than ocpp.port", o.plain_port);
            return "";
          }),
      integer("profile_duration_s", &Ocpp::profile_duration_s, 30, 86400,
              "a limit hemd sets lapses to the charger's safe current after this long unless hemd renews it: "
              "a crashed hemd never leaves a car stuck at full power or at 0 A"),
      integer("call_timeout_s", &Ocpp::call_timeout_s, 5, 300,
              "a charger that does not answer a request within this long is logged and hemd goes on"),
  }};
}

Section<Storage> storage() {
  return {{
      text("path", &Storage::path, "the SQLite database (WAL mode)"),
      integer("retention_days", &Storage::retention_days, 1, 36500,
              "measurements and events older than this are deleted"),
      integer("measurement_interval_s", &Storage::measurement_interval_s, 1, 3600,
              "measurements are averaged over this interval before they are stored"),
  }};
}

Section<Control> control() {
  return {{
      integer("interval_ms", &Control::interval_ms, 100, 60000, "the control cycle, ms"),
      number("enable_delay_s", &Control::enable_delay_s, 0, 3600, "s",
             "surplus must last this long before a paused PV-only car starts"),
      number("disable_delay_s", &Control::disable_delay_s, 0, 3600, "s",
             "import must last this long before a PV-only car stops"),
      number("stop_import_w", &Control::stop_import_w, 0, 50000, "W",
             "import tolerated before the disable timer runs"),
      number("fuse_margin_a", &Control::fuse_margin_a, 0, 20, "A", "kept free on every phase for meter lag"),
      number("ramp_up_s", &Control::ramp_up_s, 0, 600, "s",
             "rising surplus is followed once it has lasted this long; falling surplus at once (calm under "
             "passing clouds)"),
      number("phase_switch_delay_s", &Control::phase_switch_delay_s, 0, 3600, "s",
             "a switchable charger changes between 1 and 3 phases once the surplus has stayed in the other "
             "band this long (at once while the car draws nothing)"),
      number("min_phase_switch_interval_s", &Control::min_phase_switch_interval_s, 60, 86400, "s",
             "at least this long between two phase switches, to spare the contactors"),
      number(
          "start_penalty_dkk", &Control::start_penalty_dkk, 0, 100, "DKK",
          "what the smart-charging plan counts for each start of a car (a pause followed by charging: a "
          "contactor cycle and a wake-up some cars miss); `0` plans the cheapest energy however often a car "
          "starts"),
      number("min_charge_block_min", &Control::min_charge_block_min, 0, 240, "min",
             "the smart-charging plan avoids blocks of charging shorter than this where the need allows; "
             "`0`: no minimum"),
      number("sleeping_car_after_s", &Control::sleeping_car_after_s, 10, 3600, "s",
             "a car offered a current after a pause that draws nothing (SuspendedEV) this long has missed "
             "the resume: hemd wakes it by what its charger's quirk profile allows (`wake_up`)"),
      number("wake_wait_s", &Control::wake_wait_s, 10, 1800, "s",
             "how long a wake-up has to make the car draw before the next is tried; when none helps the "
             "car is reported asleep and the rest of its need charged as one block from now"),
  }};
}

// Rules across sections: ids and names unique, references resolve, sub-fuses fit the main fuse.
void check_references(MapReader& top, Config& c) {
  Reader& r = top.reader();
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
    if (c.meters[i].role == MeterRole::grid) ++grid_meters;
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
void check_safe_currents(MapReader& top, const Config& c) {
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
      top.reader().error(
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

Section<Config> whole_file() {
  Section<Config> s{{
      mapping("site", &Config::site, site(), "The house and its grid connection.")
          .needed("the site section with main_fuse_a"),
      list("meters", &Config::meters, meter(),
           "The PV inverters, the grid meter and home batteries, read over Modbus."),
      mapping("battery", &Config::battery, battery(),
              "Whose surplus it is when the site has a home battery (see [meters.md](meters.md))."),
      list("chargers", &Config::chargers, charger(),
           "The chargers that connect to hemd over OCPP (see [ocpp.md](ocpp.md))."),
      list("circuits", &Config::circuits, circuit(), "Sub-fuses shared by some chargers."),
      mapping("prices", &Config::prices, prices(), "What a kWh costs you (see [prices.md](prices.md))."),
      mapping("solar_forecast", &Config::solar_forecast, solar_forecast(),
              "The PV forecast the plan counts on (see [planner.md](planner.md#solar-forecast))."),
      mapping("mqtt", &Config::mqtt, mqtt(), "The MQTT broker Home Assistant listens to."),
      mapping("ocpp", &Config::ocpp, ocpp(), "hemd's OCPP listener (see [ocpp.md](ocpp.md))."),
      mapping("storage", &Config::storage, storage(), "The history in SQLite."),
      mapping("control", &Config::control, control(), "The control loop's timing and margins."),
      choice("log_level", &Config::log_level,
             named({LogLevel::error, LogLevel::warning, LogLevel::notice, LogLevel::info, LogLevel::debug}),
             "how much hemd logs; `--log-level` overrides it"),
  }};
  s.rules.push_back([](MapReader& top, Config& c) {
    check_references(top, c);
    check_safe_currents(top, c);
    for (auto& ch : c.chargers)
      if (!ch.safe_current_a) ch.safe_current_a = c.site.safe_current_a;
  });
  return s;
}

}  // namespace

const Section<Config>& config_file() {
  static const Section<Config> schema = whole_file();
  return schema;
}

}  // namespace hemd::config::schema
