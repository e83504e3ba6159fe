#include "daemon/ocpp_io.h"

#include <algorithm>

#include "config/charger_profile.h"
#include "drivers/log/log.h"
#include "drivers/storage/tables.h"
#include "strategies/sleeping_car.h"

namespace hemd {

namespace {

// charger_knowledge keys: wake_up.<method> = worked | failed.
const std::string wake_key = "wake_up.";

ChargerStatus status_of(const std::string& s) {
  static const std::pair<const char*, ChargerStatus> names[] = {
      {"Available", ChargerStatus::available},
      {"Preparing", ChargerStatus::preparing},
      {"Charging", ChargerStatus::charging},
      {"SuspendedEV", ChargerStatus::suspended_ev},
      {"SuspendedEVSE", ChargerStatus::suspended_evse},
      {"Finishing", ChargerStatus::finishing},
      {"Reserved", ChargerStatus::reserved},
      {"Unavailable", ChargerStatus::unavailable},
      {"Faulted", ChargerStatus::faulted}};
  for (const auto& [name, status] : names)
    if (s == name) return status;
  return ChargerStatus::unknown;
}

}  // namespace

OcppIo::OcppIo(const config::Config& cfg, storage::Recorder& history,
               std::map<std::string, std::map<std::string, std::string>> knowledge)
    : history_(history), knowledge_(knowledge) {
  ocpp::CsmsOptions o;
  o.address = cfg.ocpp.listen_address;
  o.port = cfg.ocpp.port;
  o.path = cfg.ocpp.path;
  o.free_charging = cfg.ocpp.authorize == "free";
  o.id_tags = cfg.ocpp.id_tags;
  o.profile_duration_s = cfg.ocpp.profile_duration_s;
  o.call_timeout_s = cfg.ocpp.call_timeout_s;
  auto profiles = config::load_charger_profiles(config::charger_profile_dir());
  for (const auto& [name, p] : profiles.profiles) {
    current_steps_[name] = p.current_steps_a;
    wake_up_[name] = p.wake_up;
  }
  std::vector<ocpp::ChargerSetup> chargers;
  for (const auto& c : cfg.chargers) {
    ocpp::ChargerSetup s;
    s.id = c.id;
    s.password = c.password;
    s.min_current_a = c.min_current_a;
    s.max_current_a = c.max_current_a;
    s.safe_current_a = c.safe_current_a.value_or(cfg.site.safe_current_a);
    s.phases = c.phases;
    s.ocpp_version = c.ocpp_version;
    if (c.phase_switching) switchable_.insert(c.id);
    s.knowledge = knowledge[c.id];
    if (!c.profile.empty())
      if (const auto* p = profiles.find(c.profile)) s.profile = *p;
    connect_timeout_s_[c.id] = s.profile ? s.profile->connect_timeout_s : 120;
    chargers.push_back(std::move(s));
  }
  auto sessions = [&history](const ocpp::SessionEvent& e) {
    if (!e.stopped)
      storage::record(history,
                      storage::SessionStart{e.charger_id, e.transaction_id, e.id_tag, e.at_ms, e.meter_wh});
    else
      storage::record(history, storage::SessionStop{e.charger_id, e.transaction_id, e.id_tag, e.at_ms,
                                                    e.meter_wh, e.reason});
  };
  auto learnt = [&history](const ocpp::Learnt& l) {
    storage::record(history, storage::LearntFact{l.charger_id, l.key, l.value});
  };
  // With a certificate, `port` speaks wss:// only; a plain listener runs beside it only when asked for.
  if (!cfg.ocpp.tls_cert_file.empty())
    o.tls =
        ocpp::CsmsOptions::Tls{cfg.ocpp.tls_cert_file, cfg.ocpp.tls_key_file, cfg.ocpp.tls_client_ca_file};
  o.cuts = std::make_shared<ocpp::CutLedger>();  // one fuse: the listeners wait for each other's cuts
  listeners_.push_back(std::make_unique<ocpp::Csms>(o, chargers, profiles, sessions, nullptr, learnt));
  if (o.tls && cfg.ocpp.plain_port) {
    o.tls.reset();
    o.port = cfg.ocpp.plain_port;
    listeners_.push_back(std::make_unique<ocpp::Csms>(o, chargers, profiles, sessions, nullptr, learnt));
  }
  for (auto& l : listeners_) l->start();
}

// A charger is on one listener at a time: the one it is connected to, or the one it was seen on last.
std::map<std::string, ocpp::ChargerView> OcppIo::views() const {
  std::map<std::string, ocpp::ChargerView> merged;
  for (const auto& l : listeners_)
    for (auto& [id, v] : l->views()) {
      auto it = merged.find(id);
      if (it == merged.end() ||
          (!it->second.connected && (v.connected || v.last_seen_ms > it->second.last_seen_ms)))
        merged[id] = std::move(v);
    }
  return merged;
}

ocpp::Csms& OcppIo::listener_of(const std::string& charger_id) const {
  for (const auto& l : listeners_) {
    const auto views = l->views();
    if (auto it = views.find(charger_id); it != views.end() && it->second.connected) return *l;
  }
  return *listeners_.front();
}

void OcppIo::fill(SiteSnapshot& s) {
  const auto views = this->views();
  if (started_ < 0) started_ = s.now;
  for (auto& c : s.chargers) {
    auto it = views.find(c.id);
    if (it == views.end()) continue;
    const auto& v = it->second;
    // A charger that has not connected in its quirk profile's time (some take minutes after a power cut) is
    // reported once; until it comes it counts at its safe current.
    if (v.last_seen_ms == 0 && s.now - started_ >= connect_timeout_s_[c.id] * 1000LL &&
        never_connected_.insert(c.id).second)
      log::warning("ocpp: {} has not connected within {} s: check its OCPP server address, id and password",
                   c.id, connect_timeout_s_[c.id]);
    // A charger that refuses hemd's profiles, or accepts and ignores them, cannot be steered: it counts as
    // offline, at the limit it last accepted or (ignoring) the one it says it applies.
    c.online = v.connected && v.booted && !v.profile_rejected && !v.profile_ignored;
    c.status = status_of(v.status);
    c.car_connected = v.car_connected;
    c.offered_limit_a = v.offered_a;
    for (int k = 0; k < 3; ++k) c.current_a[k] = k < c.active_phases ? v.current_a[k] : 0.0;
    c.power_w = v.power_w;
    // When the car's figures came, in the snapshot's time (the demo's runs faster than the wall clock).
    auto& [reports, at] = metered_[c.id];
    if (v.meter_reports != reports) {
      reports = v.meter_reports;
      at = s.now;
    }
    c.metered_at = reports ? at : -1;
    c.session_energy_wh = v.session_wh;
    c.soc_pct = v.soc_pct;
    c.vendor = v.vendor;
    c.model = v.model;
    c.firmware = v.firmware;
    c.serial = v.serial;
    // What an ISO 15118 car said it needs (the owner's own settings, laid over later, win).
    if (v.ev_need && v.car_connected) {
      if (v.ev_need->departure_ms) c.departure = *v.ev_need->departure_ms;
      if (v.ev_need->energy_wh)
        c.energy_need_wh = std::max(0.0, *v.ev_need->energy_wh - (v.session_wh - v.ev_need->at_session_wh));
    }
    // A charger that honours only some currents (its quirk profile says which) is given only those.
    if (auto steps = current_steps_.find(v.profile); steps != current_steps_.end())
      c.current_steps_a = steps->second;
    // How its car may be woken: what the quirk profile allows, what worked on this charger first.
    if (auto w = wake_up_.find(v.profile); w != wake_up_.end()) {
      std::map<std::string, std::string> learnt;
      for (const auto& [key, value] : knowledge_[c.id])
        if (key.rfind(wake_key, 0) == 0) learnt[key.substr(wake_key.size())] = value;
      c.wake_methods = wake_order(w->second, learnt);
    }
  }
}

bool OcppIo::act(const std::string& charger_id, const std::string& action) {
  if (action == "restart") return listener_of(charger_id).act(charger_id, ocpp::Csms::Action::restart);
  if (action == "unlock") return listener_of(charger_id).act(charger_id, ocpp::Csms::Action::unlock);
  return false;
}

// Cuts go out before raises: a raise then finds them under way and waits until they are answered (the
// central system holds it), so a re-allocation never passes through a sum above the fuse.
void OcppIo::apply(const Decision& d) {
  const auto views = this->views();
  auto change = [&](const ChargerCommand& cmd) {
    auto it = views.find(cmd.charger_id);
    return cmd.limit_a - (it == views.end() ? 0.0 : it->second.offered_a);
  };
  std::vector<const ChargerCommand*> order;
  for (const auto& cmd : d.commands) order.push_back(&cmd);
  std::stable_sort(order.begin(), order.end(),
                   [&](const ChargerCommand* a, const ChargerCommand* b) { return change(*a) < change(*b); });
  for (const auto* cmd : order)
    for (auto& l : listeners_)
      l->set_limit(cmd->charger_id, cmd->limit_a, switchable_.count(cmd->charger_id) ? cmd->phases : 0);
  wake(d);
}

void OcppIo::wake(const Decision& d) {
  for (const auto& o : d.wake_outcomes) {
    const std::string value = o.worked ? "worked" : "failed";
    log::notice("ocpp: {}: the wake-up by {} {}", o.charger_id, o.method,
                o.worked ? "worked: the car draws again" : "did not wake the car");
    auto& known = knowledge_[o.charger_id][wake_key + o.method];
    if (known == value) continue;
    known = value;
    storage::record(history_, storage::LearntFact{o.charger_id, wake_key + o.method, value});
  }
  for (const auto& u : d.wake_ups) {
    const auto how = u.method == "availability_cycle"    ? ocpp::Csms::Action::wake_by_availability_cycle
                     : u.method == "restart_transaction" ? ocpp::Csms::Action::wake_by_restart_transaction
                                                         : std::optional<ocpp::Csms::Action>();
    if (!how) {
      log::warning("ocpp: {}: unknown wake-up {}", u.charger_id, log::quoted(u.method, 40));
      continue;
    }
    log::notice("ocpp: {}: its car does not follow the raised limit: waking it by {}", u.charger_id,
                u.method);
    listener_of(u.charger_id).act(u.charger_id, *how);
  }
}

}  // namespace hemd
