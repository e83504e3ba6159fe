#include "config/charger_profile.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "build_info.h"
#include "config/reader.h"

namespace hemd::config {

namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

bool starts_with_any(const std::string& text, const std::vector<std::string>& prefixes) {
  const std::string t = lower(text);
  return std::any_of(prefixes.begin(), prefixes.end(),
                     [&](const std::string& p) { return t.rfind(lower(p), 0) == 0; });
}

}  // namespace

ChargerProfile read_charger_profile(const std::string& text, const std::string& file,
                                    std::vector<Error>& errors) {
  ChargerProfile p;
  p.file = file;
  p.name = std::filesystem::path(file).stem().string();
  Reader r(file, errors);
  const auto root = r.parse(text);
  if (!root) return p;
  MapReader top(r, *root, "", root->Mark());
  top.text("description", p.description, true);
  top.map("match", [&](MapReader& m) {
    m.text_list("vendors", p.match_vendors);
    m.text_list("models", p.match_models);
  });
  top.map("ocpp", [&](MapReader& m) {
    m.choice("rate_unit", p.rate_unit, {"auto", "A", "W"});
    if (m.has("stack_level")) {
      int level = 0;
      m.integer("stack_level", level, 0, 100);
      p.stack_level = level;
    }
    m.choice("profile_kind", p.profile_kind, {"Absolute", "Relative"});
    m.boolean("charge_point_max_profile", p.charge_point_max_profile);
    m.boolean("tx_profile_without_transaction", p.tx_profile_without_transaction);
    m.boolean("remote_start", p.remote_start);
    m.boolean("change_availability", p.change_availability);
    m.boolean("change_availability_connector_1", p.change_availability_connector_1);
    m.boolean("number_phases", p.number_phases);
    m.text_list("measurands", p.measurands);
    m.integer("meter_interval_s", p.meter_interval_s, 1, 3600);
    m.integer("connect_timeout_s", p.connect_timeout_s, 5, 3600);
    m.choice("pause", p.pause, {"zero_current", "remote_stop"});
    m.boolean("ocpp201_smart_charging", p.ocpp201_smart_charging);
    m.boolean("verify_with_composite_schedule", p.verify_with_composite_schedule);
    m.text_list("wake_up", p.wake_up);
    for (const auto& w : p.wake_up)
      if (std::find(wake_up_methods.begin(), wake_up_methods.end(), w) == wake_up_methods.end())
        r.error(m.mark("wake_up"), m.path("wake_up"),
                "found '" + w + "', expected availability_cycle or restart_transaction");
    // A charger that must not be sent ChangeAvailability is not woken by it either.
    if (!p.change_availability)
      p.wake_up.erase(std::remove(p.wake_up.begin(), p.wake_up.end(), "availability_cycle"), p.wake_up.end());
    std::vector<std::string> steps;
    m.text_list("current_steps_a", steps);
    for (const auto& s : steps) {
      try {
        const double a = std::stod(s);
        if (a < 0 || a > 80) throw std::out_of_range("step");
        p.current_steps_a.push_back(a);
      } catch (const std::exception&) {
        r.error(m.mark("current_steps_a"), m.path("current_steps_a"),
                "found '" + s + "', expected currents in A from 0 to 80");
      }
    }
    std::sort(p.current_steps_a.begin(), p.current_steps_a.end());
  });
  top.text_list("notes", p.notes);
  static const std::vector<std::string> known_measurands = {"Energy.Active.Import.Register",
                                                            "Power.Active.Import",
                                                            "Current.Import",
                                                            "Current.Offered",
                                                            "Voltage",
                                                            "SoC",
                                                            "Power.Offered",
                                                            "Temperature",
                                                            "Frequency"};
  for (const auto& m : p.measurands)
    if (std::find(known_measurands.begin(), known_measurands.end(), m) == known_measurands.end()) {
      std::string msg = "found '" + m + "', expected an OCPP measurand";
      if (auto near = did_you_mean(m, known_measurands); !near.empty())
        msg += " (did you mean '" + near + "'?)";
      r.error(top.mark(), "ocpp.measurands", msg);
    }
  return p;
}

ProfileSet load_charger_profiles(const std::string& dir) {
  ProfileSet set;
  std::error_code ec;
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec))
    if (e.path().extension() == ".yaml") files.push_back(e.path());
  if (ec)
    set.errors.push_back(Error{dir, 0, 0, "", "cannot read the charger profile folder: " + ec.message()});
  std::sort(files.begin(), files.end());
  for (const auto& f : files) {
    std::ifstream in(f);
    std::stringstream ss;
    ss << in.rdbuf();
    std::vector<Error> errors;
    auto profile = read_charger_profile(ss.str(), f.string(), errors);
    if (errors.empty()) set.profiles.emplace(profile.name, std::move(profile));
    set.errors.insert(set.errors.end(), errors.begin(), errors.end());
  }
  return set;
}

const ChargerProfile* ProfileSet::find(const std::string& name) const {
  auto it = profiles.find(name);
  return it == profiles.end() ? nullptr : &it->second;
}

const ChargerProfile* ProfileSet::match(const std::string& vendor, const std::string& model) const {
  // A profile naming models beats one that takes every model of the vendor.
  const ChargerProfile* vendor_only = nullptr;
  for (const auto& [name, p] : profiles) {
    if (p.match_vendors.empty() || !starts_with_any(vendor, p.match_vendors)) continue;
    if (p.match_models.empty()) {
      if (!vendor_only) vendor_only = &p;
    } else if (starts_with_any(model, p.match_models)) {
      return &p;
    }
  }
  return vendor_only ? vendor_only : find("generic");
}

std::vector<Error> check_profile_references(const Config& cfg, const ProfileSet& set) {
  std::vector<Error> errors;
  std::vector<std::string> names;
  for (const auto& [name, p] : set.profiles) names.push_back(name);
  for (std::size_t i = 0; i < cfg.chargers.size(); ++i) {
    const std::string& wanted = cfg.chargers[i].profile;
    if (wanted.empty() || set.find(wanted)) continue;
    std::string msg = "found '" + wanted + "', expected a charger profile from config/chargers/";
    if (auto near = did_you_mean(wanted, names); !near.empty()) msg += " (did you mean '" + near + "'?)";
    const std::string key = "chargers[" + std::to_string(i) + "].profile";
    const auto at = cfg.positions.count(key) ? cfg.positions.at(key) : std::pair<int, int>{0, 0};
    errors.push_back(Error{cfg.file, at.first, at.second, key, msg});
  }
  return errors;
}

std::string charger_profile_dir() {
  // An installer's own profiles, tried without touching the installed ones.
  if (const char* own = std::getenv("HEMD_CHARGER_PROFILES"); own && *own) return own;
  const std::string installed = std::string(build::data_dir) + "/chargers";
  if (std::filesystem::exists(installed) || !*build::source_dir) return installed;
  return std::string(build::source_dir) + "/config/chargers";
}

}  // namespace hemd::config
