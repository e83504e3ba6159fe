#include "strategies/plausibility.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace hemd {

namespace {

template <typename... Args>
std::string text(const char* format, Args... args) {
  char buf[512];
  std::snprintf(buf, sizeof buf, format, args...);
  return buf;
}

bool beyond(double x, double bound) {
  return !std::isfinite(x) || std::abs(x) > bound;
}

}  // namespace

ReadingBounds reading_bounds(const SiteLimits& l) {
  ReadingBounds b;
  // A gG fuse carries 1.45 times its rating for an hour and blows within seconds at twice it; a phase
  // current beyond that, either way, is a misread register, a wrong scale factor or a unit mistake.
  b.grid_phase_a = 2 * l.main_fuse_a;
  b.grid_power_w = b.grid_phase_a * l.voltage_v * l.phases;
  b.pv_power_w = b.grid_power_w;
  return b;
}

double charger_phase_bound_a(const ChargerState& c) {
  // A car may overshoot its limit a little; anything far beyond the charger's rating is not a current.
  return c.max_current_a * 1.1 + 1.0;
}

double charger_power_bound_w(const ChargerState& c, const SiteLimits& limits) {
  return charger_phase_bound_a(c) * limits.voltage_v * 1.1 * std::max(1, std::min(c.phases, 3));
}

std::optional<std::string> grid_current_problem(double amps, int phase, const ReadingBounds& b) {
  if (!beyond(amps, b.grid_phase_a)) return std::nullopt;
  return text("L%d current %.1f A", phase + 1, amps);
}

std::optional<std::string> grid_power_problem(double watts, const ReadingBounds& b) {
  if (!beyond(watts, b.grid_power_w)) return std::nullopt;
  return text(
      "grid meter: power %.0f W is beyond what the fuse can carry (±%.0f W); not trusted, chargers at "
      "their safe current",
      watts, b.grid_power_w);
}

std::optional<std::string> pv_power_problem(double watts, const ReadingBounds& b) {
  if (std::isfinite(watts) && watts >= -0.05 * b.pv_power_w && watts <= b.pv_power_w) return std::nullopt;
  return text("PV: power %.0f W is beyond what the site can produce (0 to %.0f W); not trusted", watts,
              b.pv_power_w);
}

std::optional<std::string> charger_draw_problem(const ChargerState& c, const SiteLimits& limits) {
  const double bound = charger_phase_bound_a(c);
  for (int k = 0; k < 3; ++k) {
    const double a = c.current_a[k];
    if (std::isfinite(a) && a >= -1.0 && a <= bound) continue;
    return text(
        "charger %s: reports %.1f A on its L%d, beyond its %.0f A rating; not trusted, it gets its safe "
        "current at most",
        c.id.c_str(), a, k + 1, c.max_current_a);
  }
  const double w = c.power_w;
  const double bound_w = charger_power_bound_w(c, limits);
  if (!std::isfinite(w) || w < -bound_w * 0.05 || w > bound_w)
    return text(
        "charger %s: reports %.0f W, beyond its rating (%.0f W); not trusted, it gets its safe current "
        "at most",
        c.id.c_str(), w, bound_w);
  return std::nullopt;
}

std::optional<std::string> battery_soc_problem(const BatteryState& b) {
  const double soc = b.soc_pct.value;
  // A little rounding above 100 % happens (a BMS recalibrating); beyond it the register or its scale is
  // wrong.
  if (std::isfinite(soc) && soc >= 0 && soc <= 100.5) return std::nullopt;
  return text(
      "battery %s: state of charge %.1f %% is outside 0-100 %%; not trusted, chargers at their safe current",
      b.name.c_str(), soc);
}

std::optional<std::string> battery_power_problem(const BatteryState& b, const ReadingBounds& bounds) {
  // Its own rating with a tenth for overshoot; unrated, what the fuse could carry.
  const double bound = b.max_power_w > 0 ? b.max_power_w * 1.1 : bounds.grid_power_w;
  if (!beyond(b.power_w.value, bound)) return std::nullopt;
  return text(
      "battery %s: power %.0f W is beyond its rating (±%.0f W); not trusted, chargers at their safe current",
      b.name.c_str(), b.power_w.value, bound);
}

std::map<std::string, std::string> distrust_impossible(SiteSnapshot& s) {
  std::map<std::string, std::string> found;
  const ReadingBounds b = reading_bounds(s.limits);
  std::string currents;  // one line for all phases: a broken scale factor usually hits all three
  for (int ph = 0; ph < 3; ++ph) {
    Reading& r = s.grid.current_a[ph];
    if (r.quality == Quality::failed) continue;
    if (auto why = grid_current_problem(r.value, ph, b)) {
      currents += (currents.empty() ? "" : ", ") + *why;
      r.quality = Quality::failed;
    }
  }
  if (!currents.empty())
    found["grid current"] = text(
        "grid meter: %s beyond what the fuse can carry (±%.0f A); not trusted, chargers "
        "at their safe current",
        currents.c_str(), b.grid_phase_a);
  if (s.grid.power_w.quality != Quality::failed)
    if (auto why = grid_power_problem(s.grid.power_w.value, b)) {
      found["grid power"] = *why;
      s.grid.power_w.quality = Quality::failed;
    }
  if (s.pv_power_w.quality != Quality::failed)
    if (auto why = pv_power_problem(s.pv_power_w.value, b)) {
      found["pv"] = *why;
      s.pv_power_w.quality = Quality::failed;
    }
  for (auto& battery : s.batteries) {
    if (battery.soc_pct.quality != Quality::failed)
      if (auto why = battery_soc_problem(battery)) {
        found["battery " + battery.name + " soc"] = *why;
        battery.soc_pct.quality = Quality::failed;
      }
    if (battery.power_w.quality != Quality::failed)
      if (auto why = battery_power_problem(battery, b)) {
        found["battery " + battery.name + " power"] = *why;
        battery.power_w.quality = Quality::failed;
      }
  }
  for (auto& c : s.chargers) {
    auto why = c.draw_trusted ? charger_draw_problem(c, s.limits) : std::nullopt;
    if (why) found["charger " + c.id] = *why;
    if (why || !c.draw_trusted) {
      c.draw_trusted = false;
      c.current_a = {};
      c.power_w = 0;
    }
  }
  return found;
}

bool grid_frozen(const SiteSnapshot& s, const FreezeParams& p, FreezeWatch& w, std::string& why) {
  const auto& g = s.grid;
  bool readable = g.power_w.ok();
  for (int ph = 0; ph < s.limits.phases && ph < 3; ++ph) readable = readable && g.current_a[ph].ok();
  if (!readable) {
    // Failed or stale already: nothing to judge, and an old expectation would outlive the outage.
    w = FreezeWatch{};
    return false;
  }
  const std::array<double, 4> now{g.current_a[0].value, g.current_a[1].value, g.current_a[2].value,
                                  g.power_w.value};
  double battery_w = 0;
  for (const auto& b : s.batteries)
    if (b.power_w.ok()) battery_w += b.power_w.value;
  if (!w.grid || *w.grid != now || battery_w != w.battery_w) {
    w.grid = now;
    w.battery_w = battery_w;
    w.grid_moved_at = s.now;
    w.since = w.deadline = -1;
    w.frozen = false;
  }
  for (const auto& c : s.chargers) {
    if (!c.online || !c.draw_trusted || c.metered_at < 0) continue;
    auto& last = w.reports[c.id];
    if (c.metered_at == last.at) continue;
    double change = 0;
    int phase = 0;
    for (int k = 0; k < 3; ++k)
      if (std::abs(c.current_a[k] - last.amps[k]) > change) {
        change = std::abs(c.current_a[k] - last.amps[k]);
        phase = k;
      }
    // The car's draw changed somewhere between its previous report and this one; a live meter moved in that
    // time too, or does within the grace.
    if (last.at >= 0 && change >= p.min_change_a && w.grid_moved_at <= last.at && w.since < 0) {
      w.since = last.at;
      w.deadline = s.now + p.grace_ms;
      w.because = text("charger %s reported %.1f A on its L%d, %.1f A before", c.id.c_str(),
                       c.current_a[phase], phase + 1, last.amps[phase]);
    }
    last = {c.metered_at, c.current_a};
  }
  if (w.since >= 0 && s.now >= w.deadline) w.frozen = true;
  if (w.frozen)
    why = text(
        "grid meter: its values have not changed for %.0f s although %s; taken as frozen (a gateway "
        "serving old values?), chargers at their safe current",
        (s.now - w.grid_moved_at) / 1000.0, w.because.c_str());
  return w.frozen;
}

Vetting vet_readings(SiteSnapshot& s, const FreezeParams& p, VetState& state) {
  auto found = distrust_impossible(s);
  std::string why;
  if (grid_frozen(s, p, state.freeze, why)) {
    found["grid frozen"] = why;
    s.grid.power_w.quality = Quality::stale;
    for (auto& r : s.grid.current_a)
      if (r.quality == Quality::ok) r.quality = Quality::stale;
  }
  Vetting v;
  for (const auto& [key, problem] : found)
    if (state.open.emplace(key, problem).second) v.started.push_back(problem);
  for (auto it = state.open.begin(); it != state.open.end();) {
    if (found.count(it->first)) {
      ++it;
      continue;
    }
    v.ended.push_back(it->first == "grid frozen" ? "grid meter: its values move again; trusted again"
                                                 : it->first + ": plausible again; trusted again");
    it = state.open.erase(it);
  }
  return v;
}

namespace {
// Whether `wh` at `at` can follow `from_wh` at `from_at`: never backwards, never faster than the site.
bool follows(double from_wh, TimeMs from_at, double wh, TimeMs at, const CounterParams& p) {
  const double hours = std::max<TimeMs>(0, at - from_at) / 3.6e6;
  return wh >= from_wh - 1.0 && wh - from_wh <= p.max_power_w * hours + p.slack_wh;
}
}  // namespace

CounterCheck check_counter(CounterWatch& w, double wh, TimeMs at, const CounterParams& p, const char* what) {
  CounterCheck c;
  auto refuse = [&](const std::string& why) {
    c.verdict = CounterVerdict::rejected;
    if (!w.rejecting) c.say = why;
    w.rejecting = true;
    return c;
  };
  if (!std::isfinite(wh) || wh < 0)
    return refuse(text("%s: %.0f Wh is not a counter reading; ignored", what, wh));
  if (!w.wh || follows(*w.wh, w.at, wh, at, p)) {
    if (w.rejecting) c.say = text("%s: %.0f Wh follows %.0f Wh again; readings taken again", what, wh, *w.wh);
    w = CounterWatch{};
    w.wh = wh;
    w.at = at;
    return c;
  }
  if (w.candidate_wh && follows(*w.candidate_wh, w.candidate_at, wh, at, p))
    ++w.candidate_count;
  else
    w.candidate_count = 1;
  w.candidate_wh = wh;
  w.candidate_at = at;
  if (w.candidate_count >= p.confirm) {
    c.verdict = CounterVerdict::restarted;
    c.say = text(
        "%s: the counter went from %.0f Wh to %.0f Wh and stays there (%d readings): taken as a restarted "
        "or replaced meter, counting on from here",
        what, *w.wh, wh, w.candidate_count);
    w = CounterWatch{};
    w.wh = wh;
    w.at = at;
    return c;
  }
  return refuse(text("%s: %.0f Wh cannot follow %.0f Wh (%s); ignored until it does, or holds", what, wh,
                     *w.wh, wh < *w.wh ? "backwards" : "faster than the site can draw"));
}

}  // namespace hemd
