#include "daemon/app.h"

#include <fmt/format.h>

#include "drivers/log/log.h"
#include "drivers/storage/tables.h"

namespace hemd {

ControlParams control_params(const config::Config& cfg) {
  ControlParams p;
  p.enable_delay_s = cfg.control.enable_delay_s;
  p.disable_delay_s = cfg.control.disable_delay_s;
  p.stop_import_w = cfg.control.stop_import_w;
  p.fuse_margin_a = cfg.control.fuse_margin_a;
  p.ramp_up_s = cfg.control.ramp_up_s;
  p.phase_switch_delay_s = cfg.control.phase_switch_delay_s;
  p.min_phase_switch_interval_s = cfg.control.min_phase_switch_interval_s;
  p.sharing = cfg.site.sharing;
  p.sleep.after_s = cfg.control.sleeping_car_after_s;
  p.sleep.wake_wait_s = cfg.control.wake_wait_s;
  p.battery.priority_soc = cfg.battery.priority_soc;
  p.battery.buffer_soc = cfg.battery.buffer_soc;
  for (const auto& m : cfg.meters)
    if (m.role == config::MeterRole::grid) p.stale_after_s = m.stale_after_s;
  return p;
}

App::App(config::Config cfg) : cfg_(std::move(cfg)) {
  storage::RecorderOptions options;
  options.retention_days = cfg_.storage.retention_days;
  recorder_ = std::make_unique<storage::Recorder>(storage::Database::open(cfg_.storage.path), options);
}

SiteSnapshot App::build_snapshot(TimeMs now) const {
  SiteSnapshot s;
  s.now = now;
  s.limits = {cfg_.site.main_fuse_a, cfg_.site.phases, cfg_.site.voltage_v, {}};
  for (const auto& c : cfg_.circuits) s.limits.circuits.push_back({c.name, c.fuse_a, c.chargers});
  for (const auto& c : cfg_.chargers) {
    ChargerState st;
    st.id = c.id;
    st.mode = c.mode;
    st.min_current_a = c.min_current_a;
    st.max_current_a = c.max_current_a;
    st.phases = st.active_phases = c.phases;
    st.phase_offset = c.phase_offset;
    st.phase_switching = c.phase_switching;
    st.priority = c.priority;
    st.safe_current_a = c.safe_current_a.value_or(cfg_.site.safe_current_a);
    if (c.battery_kwh) st.battery_wh = *c.battery_kwh * 1000;
    s.chargers.push_back(std::move(st));
  }
  for (const auto& m : cfg_.meters) {
    if (m.role != config::MeterRole::battery) continue;
    BatteryState b;
    b.name = m.name;
    b.max_power_w = m.max_power_w.value_or(0);
    b.controllable = m.control;
    s.batteries.push_back(std::move(b));
  }
  // Nothing measured yet: every reading stays failed until a driver fills it. A driver that throws adds
  // nothing this cycle; what it would have filled stays untrusted.
  for (auto* in : inputs_) guarded(in, "input", [&] { in->fill(s); });
  return s;
}

const Decision& App::cycle(TimeMs now) {
  apply_staged();
  snapshot_ = build_snapshot(now);
  vet(snapshot_);
  ControlParams params = control_params(cfg_);
  if (tune_) tune_(params);
  decision_ = decide(snapshot_, params, control_state_);
  // The planner (an observer) leaves out a car that sleeps through its resumes.
  for (auto& c : snapshot_.chargers)
    if (const auto* cmd = decision_.for_charger(c.id)) c.car_asleep = cmd->car_asleep;
  for (auto* out : outputs_) guarded(out, "output", [&] { out->apply(decision_); });
  for (auto* o : observers_) guarded(o, "observer", [&] { o->observe(snapshot_, decision_); });
  record(snapshot_, decision_);
  return decision_;
}

void App::guarded(const void* part, const char* kind, const std::function<void()>& work) const {
  std::string failure;
  try {
    work();
  } catch (const std::exception& e) {
    failure = e.what();
  } catch (...) {
    failure = "an unknown exception";
  }
  auto& last = failures_[part];
  if (failure != last && !failure.empty())
    log::error("control: a driver's {} failed: {}; dropped, the cycle goes on", kind, log::quoted(failure));
  else if (failure.empty() && !last.empty())
    log::notice("control: the driver's {} works again", kind);
  last = failure;
}

void App::vet(SiteSnapshot& s) {
  // A live grid meter follows a car's change within its own staleness time.
  FreezeParams p;
  double grace_s = 0;
  for (const auto& m : cfg_.meters)
    if (m.role == config::MeterRole::grid) grace_s = std::max(grace_s, m.stale_after_s);
  if (grace_s > 0) p.grace_ms = static_cast<TimeMs>(grace_s * 1000 * time_scale_);
  const Vetting v = vet_readings(s, p, vet_state_);
  for (const auto& problem : v.started) log::warning("{}", problem);
  for (const auto& trusted : v.ended) log::notice("{}", trusted);
}

void App::stage(config::Config cfg) {
  std::lock_guard lock(staged_mutex_);
  staged_ = std::move(cfg);
}

void App::apply_staged() {
  std::optional<config::Config> next;
  {
    std::lock_guard lock(staged_mutex_);
    next.swap(staged_);
  }
  if (!next) return;
  if (next->storage.path != cfg_.storage.path)
    log::notice("config: storage.path changed; it takes effect when hemd restarts");
  if (next->ocpp.port != cfg_.ocpp.port || next->ocpp.listen_address != cfg_.ocpp.listen_address)
    log::notice("config: the OCPP listener changed; it takes effect when hemd restarts");
  next->storage = cfg_.storage;
  cfg_ = std::move(*next);
  log::set_level(cfg_.log_level);
  log::notice("config: reloaded {}", cfg_.file);
}

void App::record(const SiteSnapshot& s, const Decision& d) {
  // One averaged row per measurement interval keeps a year of history in a few tens of MB.
  auto& a = average_;
  if (a.n == 0) a.since = s.now;
  const double grid = s.grid.power_w.ok() ? s.grid.power_w.value : 0.0;
  const double pv = s.pv_power_w.ok() ? s.pv_power_w.value : 0.0;
  double cars = 0;
  for (const auto& c : s.chargers) cars += c.power_w;
  a.pv += pv;
  a.grid += grid;
  a.house += grid + pv - cars;
  for (int ph = 0; ph < 3; ++ph) a.phase[ph] += s.grid.current_a[ph].ok() ? s.grid.current_a[ph].value : 0.0;
  ++a.n;
  if (s.now - a.since >= cfg_.storage.measurement_interval_s * 1000LL) {
    const double n = a.n;
    storage::record(
        *recorder_,
        storage::SiteMeasurement{
            a.since, a.pv / n, a.grid / n, a.house / n, {a.phase[0] / n, a.phase[1] / n, a.phase[2] / n}});
    for (const auto& c : s.chargers) {
      const auto* cmd = d.for_charger(c.id);
      storage::record(*recorder_, storage::ChargerMeasurement{s.now, c.id, cmd ? cmd->limit_a : 0.0,
                                                              c.power_w, c.session_energy_wh});
    }
    a = Average{};
  }
  for (const auto& cmd : d.commands) {
    auto& last = last_reason_[cmd.charger_id];
    if (last == cmd.reason) continue;
    last = cmd.reason;
    storage::record(*recorder_, storage::Event{s.now, static_cast<int>(log::Level::info), "control",
                                               fmt::format("{}: {:.0f} A ({})", cmd.charger_id, cmd.limit_a,
                                                           cmd.reason)});
  }
}

void App::shutdown() {
  Decision safe;
  safe.summary = "hemd stopping: safe current";
  for (const auto& c : snapshot_.chargers)
    safe.commands.push_back({c.id, c.safe_current_a >= c.min_current_a ? c.safe_current_a : 0.0,
                             c.active_phases, "hemd stopped: safe current"});
  for (auto* out : outputs_) out->apply(safe);
  decision_ = safe;
  recorder_->flush();
}

std::string App::status_line() const {
  const auto& s = snapshot_;
  auto kw = [](const Reading& r) { return r.ok() ? fmt::format("{:6.2f} kW", r.value / 1000) : "   --   "; };
  double cars = 0;
  for (const auto& c : s.chargers) cars += c.power_w;
  const double house = s.grid.power_w.value + s.pv_power_w.value - cars;
  std::string line =
      fmt::format("PV {}  house {:5.2f} kW  grid {}", kw(s.pv_power_w), house / 1000, kw(s.grid.power_w));
  if (!s.prices.empty() && s.prices.front().start <= s.now)
    line += fmt::format("  {:4.2f} DKK/kWh", s.prices.front().import_dkk_per_kwh);
  for (const auto& c : s.chargers) {
    const auto* cmd = decision_.for_charger(c.id);
    line += fmt::format("  | {} {:4.1f} A {}φ {:5.2f} kW mode {:5} -> {:4.1f} A ({})", c.id, c.current_a[0],
                        cmd ? cmd->phases : c.active_phases, c.power_w / 1000, to_string(c.mode),
                        cmd ? cmd->limit_a : 0.0, cmd ? cmd->reason : "");
  }
  return line;
}

}  // namespace hemd
