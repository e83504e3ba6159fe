// The resolved config as YAML for `hemd --check-config`; secrets never leave this file unmasked.
#include <yaml-cpp/yaml.h>

#include "config/config.h"

namespace hemd::config {

namespace {

std::string mask(const std::string& secret) {
  return secret.empty() ? "" : "********";
}

template <typename T>
void kv(YAML::Emitter& e, const char* key, const T& value) {
  e << YAML::Key << key << YAML::Value << value;
}

void periods(YAML::Emitter& e, const char* key, const std::vector<TariffPeriod>& list) {
  if (list.empty()) return;
  e << YAML::Key << key << YAML::Value << YAML::BeginSeq;
  for (const auto& p : list)
    e << YAML::Flow << YAML::BeginMap << YAML::Key << "from_hour" << YAML::Value << p.from_hour << YAML::Key
      << "to_hour" << YAML::Value << p.to_hour << YAML::Key << "dkk_kwh" << YAML::Value << p.dkk_kwh
      << YAML::EndMap;
  e << YAML::EndSeq;
}

}  // namespace

std::string to_yaml(const Config& c) {
  YAML::Emitter e;
  e << YAML::BeginMap;
  e << YAML::Key << "site" << YAML::Value << YAML::BeginMap;
  kv(e, "name", c.site.name);
  kv(e, "main_fuse_a", c.site.main_fuse_a);
  kv(e, "phases", c.site.phases);
  kv(e, "voltage_v", c.site.voltage_v);
  kv(e, "safe_current_a", c.site.safe_current_a);
  kv(e, "sharing", c.site.sharing);
  e << YAML::EndMap;

  e << YAML::Key << "meters" << YAML::Value << YAML::BeginSeq;
  for (const auto& m : c.meters) {
    e << YAML::BeginMap;
    kv(e, "name", m.name);
    kv(e, "role", m.role);
    kv(e, "device", m.device);
    kv(e, "transport", m.transport);
    if (m.transport == "tcp") {
      kv(e, "host", m.host);
      kv(e, "port", m.port);
    } else {
      e << YAML::Key << "serial" << YAML::Value << YAML::BeginMap;
      kv(e, "device", m.serial.device);
      kv(e, "baud", m.serial.baud);
      kv(e, "parity", std::string(1, m.serial.parity));
      kv(e, "data_bits", m.serial.data_bits);
      kv(e, "stop_bits", m.serial.stop_bits);
      e << YAML::EndMap;
    }
    kv(e, "unit", m.unit);
    kv(e, "timeout_ms", m.timeout_ms);
    kv(e, "stale_after_s", m.stale_after_s);
    kv(e, "poll_ms", m.poll_ms);
    e << YAML::EndMap;
  }
  e << YAML::EndSeq;

  e << YAML::Key << "chargers" << YAML::Value << YAML::BeginSeq;
  for (const auto& ch : c.chargers) {
    e << YAML::BeginMap;
    kv(e, "id", ch.id);
    kv(e, "ocpp_version", ch.ocpp_version);
    kv(e, "password", mask(ch.password));
    kv(e, "min_current_a", ch.min_current_a);
    kv(e, "max_current_a", ch.max_current_a);
    kv(e, "phases", ch.phases);
    kv(e, "phase_offset", ch.phase_offset);
    kv(e, "phase_switching", ch.phase_switching);
    kv(e, "priority", ch.priority);
    kv(e, "mode", std::string(hemd::to_string(ch.mode)));
    kv(e, "safe_current_a", ch.safe_current_a.value_or(c.site.safe_current_a));
    kv(e, "profile", ch.profile.empty() ? std::string("auto") : ch.profile);
    if (ch.battery_kwh) kv(e, "battery_kwh", *ch.battery_kwh);
    e << YAML::EndMap;
  }
  e << YAML::EndSeq;

  e << YAML::Key << "circuits" << YAML::Value << YAML::BeginSeq;
  for (const auto& ci : c.circuits) {
    e << YAML::BeginMap;
    kv(e, "name", ci.name);
    kv(e, "fuse_a", ci.fuse_a);
    e << YAML::Key << "chargers" << YAML::Value << YAML::Flow << ci.chargers;
    e << YAML::EndMap;
  }
  e << YAML::EndSeq;

  e << YAML::Key << "prices" << YAML::Value << YAML::BeginMap;
  kv(e, "enabled", c.prices.enabled);
  kv(e, "area", c.prices.area);
  kv(e, "provider", c.prices.provider);
  kv(e, "base_url", c.prices.base_url);
  kv(e, "entsoe_token", mask(c.prices.entsoe_token));
  kv(e, "dkk_per_eur", c.prices.dkk_per_eur);
  kv(e, "supplier_markup_dkk_kwh", c.prices.supplier_markup_dkk_kwh);
  kv(e, "export_fee_dkk_kwh", c.prices.export_fee_dkk_kwh);
  kv(e, "vat", c.prices.vat);
  kv(e, "grid_company_gln", c.prices.grid_company_gln);
  e << YAML::Key << "grid_tariff_codes" << YAML::Value << YAML::Flow << c.prices.grid_tariff_codes;
  kv(e, "fixed_price_dkk_kwh", c.prices.fixed_price_dkk_kwh);
  kv(e, "fixed_export_dkk_kwh", c.prices.fixed_export_dkk_kwh);
  periods(e, "time_of_use", c.prices.time_of_use);
  kv(e, "hourly_mean", c.prices.hourly_mean);
  kv(e, "fetch_timeout_s", c.prices.fetch_timeout_s);
  if (!c.prices.grid_tariff.empty()) {
    e << YAML::Key << "grid_tariff" << YAML::Value << YAML::BeginSeq;
    for (const auto& g : c.prices.grid_tariff) {
      e << YAML::BeginMap;
      kv(e, "valid_from", g.valid_from);
      if (!g.valid_to.empty()) kv(e, "valid_to", g.valid_to);
      kv(e, "season", g.season);
      periods(e, "periods", g.periods);
      e << YAML::EndMap;
    }
    e << YAML::EndSeq;
  }
  // Rates not overridden follow the built-in dated table (README, "Prices").
  e << YAML::Key << "taxes" << YAML::Value << YAML::BeginMap;
  if (c.prices.elafgift_dkk_kwh) kv(e, "elafgift_dkk_kwh", *c.prices.elafgift_dkk_kwh);
  if (c.prices.transmission_tariff_dkk_kwh)
    kv(e, "transmission_tariff_dkk_kwh", *c.prices.transmission_tariff_dkk_kwh);
  if (c.prices.system_tariff_dkk_kwh) kv(e, "system_tariff_dkk_kwh", *c.prices.system_tariff_dkk_kwh);
  e << YAML::EndMap << YAML::Comment("built-in dated rates where not set");
  e << YAML::EndMap;

  e << YAML::Key << "mqtt" << YAML::Value << YAML::BeginMap;
  kv(e, "enabled", c.mqtt.enabled);
  kv(e, "host", c.mqtt.host);
  kv(e, "port", c.mqtt.port);
  kv(e, "username", c.mqtt.username);
  kv(e, "password", mask(c.mqtt.password));
  kv(e, "client_id", c.mqtt.client_id);
  kv(e, "topic_prefix", c.mqtt.topic_prefix);
  kv(e, "discovery_prefix", c.mqtt.discovery_prefix);
  kv(e, "min_interval_s", c.mqtt.min_interval_s);
  kv(e, "heartbeat_s", c.mqtt.heartbeat_s);
  if (!c.mqtt.tls_ca_file.empty()) {
    e << YAML::Key << "tls" << YAML::Value << YAML::BeginMap;
    kv(e, "ca_file", c.mqtt.tls_ca_file);
    kv(e, "cert_file", c.mqtt.tls_cert_file);
    kv(e, "key_file", c.mqtt.tls_key_file);
    e << YAML::EndMap;
  }
  e << YAML::EndMap;

  e << YAML::Key << "ocpp" << YAML::Value << YAML::BeginMap;
  kv(e, "enabled", c.ocpp.enabled);
  kv(e, "listen_address", c.ocpp.listen_address);
  kv(e, "port", c.ocpp.port);
  kv(e, "path", c.ocpp.path);
  kv(e, "authorize", c.ocpp.authorize);
  e << YAML::Key << "id_tags" << YAML::Value << YAML::Flow << c.ocpp.id_tags;
  kv(e, "tls_cert_file", c.ocpp.tls_cert_file);
  kv(e, "tls_key_file", c.ocpp.tls_key_file);
  kv(e, "tls_client_ca_file", c.ocpp.tls_client_ca_file);
  if (c.ocpp.plain_port) kv(e, "plain_port", c.ocpp.plain_port);
  kv(e, "profile_duration_s", c.ocpp.profile_duration_s);
  kv(e, "call_timeout_s", c.ocpp.call_timeout_s);
  e << YAML::EndMap;

  e << YAML::Key << "storage" << YAML::Value << YAML::BeginMap;
  kv(e, "path", c.storage.path);
  kv(e, "retention_days", c.storage.retention_days);
  kv(e, "measurement_interval_s", c.storage.measurement_interval_s);
  e << YAML::EndMap;

  e << YAML::Key << "control" << YAML::Value << YAML::BeginMap;
  kv(e, "interval_ms", c.control.interval_ms);
  kv(e, "enable_delay_s", c.control.enable_delay_s);
  kv(e, "disable_delay_s", c.control.disable_delay_s);
  kv(e, "stop_import_w", c.control.stop_import_w);
  kv(e, "fuse_margin_a", c.control.fuse_margin_a);
  kv(e, "ramp_up_s", c.control.ramp_up_s);
  kv(e, "phase_switch_delay_s", c.control.phase_switch_delay_s);
  kv(e, "min_phase_switch_interval_s", c.control.min_phase_switch_interval_s);
  e << YAML::EndMap;

  kv(e, "log_level", std::string(to_string(c.log_level)));
  e << YAML::EndMap;
  return std::string(e.c_str()) + "\n";
}

}  // namespace hemd::config
