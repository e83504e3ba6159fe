#pragma once
// The resolved configuration: what /etc/hemd/hemd.yaml says, validated, with defaults filled in. Each key's
// name, type, default, range and meaning is declared once, in config/keys.cpp; the defaults below are the
// ones that declaration reads and documents.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "config/log_level.h"
#include "strategies/allocation.h"
#include "strategies/site.h"

namespace hemd::config {

// What a meter measures: the PV inverter's output, the grid connection (the fuse guard's eyes), or a home
// battery (power positive while it discharges, like import; its state of charge).
enum class MeterRole { pv, grid, battery };
const char* to_string(MeterRole r);

struct Site {
  std::string name = "home";
  double main_fuse_a = 25;
  int phases = 3;
  double voltage_v = 230;
  double safe_current_a = 6;  // per charger, when hemd cannot trust its data
  SharingPolicy sharing = SharingPolicy::fair;
};

struct Serial {
  std::string device;
  int baud = 9600;
  char parity = 'N';
  int data_bits = 8;
  int stop_bits = 1;
};

struct Meter {
  std::string name;
  MeterRole role = MeterRole::pv;
  std::string device;             // "sunspec" or the name of a register map (config/devices/<name>.yaml)
  std::string transport = "tcp";  // tcp | rtu
  std::string host;
  int port = 502;
  Serial serial;
  int unit = 1;
  int timeout_ms = 500;
  double stale_after_s = 5;
  int poll_ms = 0;  // how often it is read; 0: 500 ms for the grid meter (the fuse guard's eyes), else 1000
  // A battery: its rated charge and discharge power (a reading beyond it is refused), whether hemd may write
  // its discharge lock, and the revert timeout it writes with the lock (where the device has one).
  std::optional<double> max_power_w;
  bool control = false;
  int revert_s = 60;
  int line = 0;  // where it was defined, for messages from the driver
};

// Whose surplus it is when the site has a home battery (strategies/battery.h).
struct Battery {
  double priority_soc = 100;  // below: the battery takes the surplus first; above: the car does
  double buffer_soc = 100;    // above: a PV-led car may ride through a cloud on the battery
};

struct Charger {
  std::string id;
  std::string ocpp_version = "auto";  // auto (what the charger offers first) | 1.6 | 2.0.1
  std::string password;               // secret
  double min_current_a = 6;
  double max_current_a = 16;
  int phases = 3;
  int phase_offset = 0;          // grid phase wired to the charger's L1: 0 = L1, 1 = L2, 2 = L3
  bool phase_switching = false;  // the charger switches between 1 and 3 phases when told (numberPhases)
  int priority = 0;
  ChargeMode mode = ChargeMode::pv;
  std::optional<double> safe_current_a;  // defaults to site.safe_current_a
  std::string profile;                   // quirk profile from config/chargers/, empty = detect
  std::optional<double> battery_kwh;     // the usual car's battery: a target SoC becomes an energy need
};

struct Circuit {
  std::string name;
  double fuse_a = 16;
  std::vector<std::string> chargers;
};

// One period of a time-of-use table, by Danish local hour: [from_hour, to_hour).
struct TariffPeriod {
  int from_hour = 0;
  int to_hour = 24;
  double dkk_kwh = 0;
};

// The grid company's net tariff written out by the user instead of fetched from DataHub.
struct GridTariff {
  std::string valid_from;      // YYYY-MM-DD, Danish date
  std::string valid_to;        // exclusive; empty = open-ended
  std::string season = "all";  // all | winter (Oct-Mar) | summer (Apr-Sep)
  std::vector<TariffPeriod> periods;
  int line = 0;
};

struct Prices {
  bool enabled = true;
  std::string area = "DK1";
  std::string provider = "energidataservice";  // energidataservice | fixed | entsoe
  std::string base_url = "https://api.energidataservice.dk";
  std::string entsoe_token;   // secret
  double dkk_per_eur = 7.46;  // ENTSO-E quotes EUR; hemd keeps one currency
  double supplier_markup_dkk_kwh = 0.0;
  double export_fee_dkk_kwh = 0.0;
  double vat = 0.25;
  std::string grid_company_gln;
  std::vector<std::string> grid_tariff_codes;
  double fixed_price_dkk_kwh = 2.5;       // provider fixed
  double fixed_export_dkk_kwh = 0.0;      // provider fixed
  std::vector<TariffPeriod> time_of_use;  // provider fixed: all-in prices by hour
  bool hourly_mean = false;               // for meters still settled per hour
  std::vector<GridTariff> grid_tariff;    // instead of DataHub
  // Overrides of the built-in dated national rates (DKK/kWh excluding VAT), for every date.
  std::optional<double> elafgift_dkk_kwh;
  std::optional<double> transmission_tariff_dkk_kwh;
  std::optional<double> system_tariff_dkk_kwh;
  int fetch_timeout_s = 20;
};

struct Mqtt {
  bool enabled = false;
  std::string host = "localhost";
  int port = 1883;
  std::string username;
  std::string password;  // secret
  std::string client_id = "hemd";
  std::string topic_prefix = "hemd/";
  std::string discovery_prefix = "homeassistant";
  std::string tls_ca_file;
  std::string tls_cert_file;
  std::string tls_key_file;
  double min_interval_s = 2;  // a state topic changes at most this often
  double heartbeat_s = 60;    // and is re-sent at least this often
};

struct Ocpp {
  bool enabled = true;
  std::string listen_address = "0.0.0.0";
  int port = 8887;
  std::string path = "/ocpp";
  std::string authorize = "free";  // free | list
  std::vector<std::string> id_tags;
  std::string tls_cert_file;  // set (with the key): wss:// on `port` (security profile 2)
  std::string tls_key_file;
  std::string tls_client_ca_file;  // set: chargers need a client certificate it signed (profile 3)
  int plain_port = 0;              // with TLS: a plain ws:// listener on this port as well (0: none)
  int profile_duration_s = 300;
  int call_timeout_s = 30;
};

struct Storage {
  std::string path = "/var/lib/hemd/hemd.db";
  int retention_days = 400;
  int measurement_interval_s = 60;
};

struct Control {
  int interval_ms = 1000;
  double enable_delay_s = 60;
  double disable_delay_s = 180;
  double stop_import_w = 300;
  double fuse_margin_a = 0.5;
  double ramp_up_s = 10;
  double phase_switch_delay_s = 120;
  double min_phase_switch_interval_s = 600;
  // What a planned start costs: a few quarter-hours moved within the night are worth about this much, a
  // start that avoids a dear hour far more (docs/planner.md).
  double start_penalty_dkk = 0.5;
  double min_charge_block_min = 0;
  // A car offered a current after a pause that draws nothing this long is woken; each wake-up gets
  // wake_wait_s to work (strategies/sleeping_car.h).
  double sleeping_car_after_s = 180;
  double wake_wait_s = 120;
};

// One plane of PV modules, for the solar forecast.
struct PvArray {
  double kwp = 0;          // the modules' peak power
  double tilt_deg = 35;    // 0 flat, 90 upright
  double azimuth_deg = 0;  // 0 south, -90 east, 90 west
};

struct SolarForecast {
  std::string service = "none";  // "open-meteo", "forecast.solar" or "none" (the week's history only)
  double latitude = 0;
  double longitude = 0;
  std::vector<PvArray> arrays;
  std::string url;  // the service's base address; empty: the public one
  int refresh_min = 60;
  // What reaches the inverter's AC side of the irradiance the modules see (inverter, wiring, heat, dirt);
  // corrected further by what the site really produced.
  double performance_ratio = 0.85;
};

struct Config {
  std::string file;  // where it was read from
  // Line and column of every key present in the file ("chargers[0].profile"), for checks made after loading.
  std::map<std::string, std::pair<int, int>> positions;
  Site site;
  std::vector<Meter> meters;
  Battery battery;
  std::vector<Charger> chargers;
  std::vector<Circuit> circuits;
  Prices prices;
  SolarForecast solar_forecast;
  Mqtt mqtt;
  Ocpp ocpp;
  Storage storage;
  Control control;
  LogLevel log_level = LogLevel::info;
};

struct Error {
  std::string file;
  int line = 0;         // 1-based
  int column = 0;       // 1-based
  std::string key;      // dotted key path, e.g. chargers[1].max_current_a
  std::string message;  // what was found and what is expected
  std::string to_string() const;
};

struct LoadResult {
  std::optional<Config> config;  // set only when there are no errors
  std::vector<Error> errors;
  std::vector<std::string> keys;  // every key the schema knows that was reachable in this file
};

// Reads and validates a config file; every error is reported, not only the first.
LoadResult load_file(const std::string& path);
// Same, from text (for tests and for reloading); `file` names it in messages.
LoadResult load_string(const std::string& text, const std::string& file);

// The resolved config as YAML, with every secret masked.
std::string to_yaml(const Config& c);
// docs/configuration.md: the reference of every key, from the same declarations.
std::string reference_markdown();

}  // namespace hemd::config
