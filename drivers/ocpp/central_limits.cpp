// Smart charging, the same for every version: setting a charger up after boot, the charging profiles that
// carry hemd's limit, when a limit goes out, falling back when a charger refuses, checking that it applies.
#include <fmt/format.h>

#include <algorithm>

#include <cmath>

#include "drivers/log/log.h"
#include "drivers/ocpp/central.h"
#include "strategies/plausibility.h"

namespace hemd::ocpp {

// After boot: learn what the charger supports (the dialect asks, then calls configure_with). Each step
// stands on its own: one the charger refuses or answers off the schema does not stop the ones after it.
void Central::configure(const std::string& id) {
  Session& s = sessions[id];
  s.decided.set_up_on = s.connection;
  Dialect& d = dialect(s.version);
  // A charger a previous central system left Inoperative would never charge (evcc's setup does the same).
  if (!s.known.profile || s.known.profile->change_availability)
    call(id, d.availability(true, s.known.profile && s.known.profile->change_availability_connector_1),
         [id](const json& r) {
           if (r.value("status", "") == "Rejected")
             log::notice("ocpp: {}: ChangeAvailability Operative rejected", id);
         });
  d.learn(id);
}

namespace {

// What a charger that refuses a measurand list is asked for next: the one it can most likely do without
// dropped (a vendor's own first, then SoC, which an AC charger without ISO 15118 cannot know, Voltage,
// Current.Offered, Power); per-phase current, which the fuse guard reads, and the energy register go last.
std::vector<std::string> fewer(std::vector<std::string> list) {
  static const Measurand kept_longest[] = {Measurand::Energy_Active_Import_Register,
                                           Measurand::Current_Import,
                                           Measurand::Power_Active_Import,
                                           Measurand::Current_Offered,
                                           Measurand::Voltage,
                                           Measurand::SoC};
  if (list.size() <= 1) return {};
  auto rank = [](const std::string& m) {
    const auto measurand = parse<Measurand>(m);
    auto it = std::find(std::begin(kept_longest), std::end(kept_longest), measurand);
    return !measurand || it == std::end(kept_longest) ? 99 : static_cast<int>(it - std::begin(kept_longest));
  };
  auto drop = std::max_element(list.begin(), list.end(),
                               [&](const std::string& a, const std::string& b) { return rank(a) < rank(b); });
  list.erase(drop);
  return list;
}

std::vector<std::string> split(const std::string& text) {
  std::vector<std::string> out;
  for (std::size_t at = 0; at < text.size();) {
    const auto comma = std::min(text.find(',', at), text.size());
    if (comma > at) out.push_back(text.substr(at, comma - at));
    at = comma + 1;
  }
  return out;
}

}  // namespace

// `wanted` is the list first asked for (the quirk profile's); what the charger takes of it is remembered.
void Central::meter(const std::string& id, const std::string& wanted, std::vector<std::string> measurands,
                    int interval_s) {
  dialect_of(id).set_metering(id, measurands, interval_s, [this, id, wanted, measurands](bool taken) {
    Session& s = sessions[id];
    if (taken) {
      const std::string list = fmt::format("{}", fmt::join(measurands, ","));
      if (s.known.measurands_asked != wanted || s.known.measurands_taken != list) {
        s.known.measurands_asked = wanted;
        s.known.measurands_taken = list;
        learnt_that(id, "measurands", wanted + " -> " + list);
        if (list != wanted) log::notice("ocpp: {}: reports {}", id, fmt::join(measurands, ", "));
      }
      return;
    }
    auto next = fewer(measurands);
    if (next.empty()) {
      log::warning("ocpp: {}: refused every measurand list; hemd reads what it reports by itself", id);
      return;
    }
    std::vector<std::string> dropped;
    for (const auto& m : measurands)
      if (std::find(next.begin(), next.end(), m) == next.end()) dropped.push_back(m);
    log::notice("ocpp: {}: refused the measurands {}; it will not report {}; asking for {}", id,
                fmt::join(measurands, ","), fmt::join(dropped, ", "), fmt::join(next, ","));
    meter(id, wanted, next, 0);
  });
}

void Central::configure_with(const std::string& id) {
  Session& s = sessions[id];
  s.known.max_stack_level = s.known.stack_level;
  s.known.stack_level = std::min(s.known.stack_level, 1);  // floor at 0, dynamic at 1: that is all hemd needs
  const auto& setup = setups.at(id);
  recall(id);
  if (s.known.profile && s.known.profile->stack_level) s.known.stack_level = *s.known.profile->stack_level;
  if (auto unit = s.known.profile ? parse<RateUnit>(s.known.profile->rate_unit) : std::nullopt)
    s.known.unit = *unit;  // not auto
  const std::string unit(word(s.known.unit));
  {
    std::lock_guard lock(mutex_);
    view(id).rate_unit = unit;
  }
  if (auto k = setup.knowledge.find("rate_unit"); k == setup.knowledge.end() || k->second != unit)
    learnt_that(id, "rate_unit", unit);
  // The quirk profile's measurands, or what the charger took of them before (this run, or a run before).
  std::vector<std::string> measurands =
      s.known.profile ? s.known.profile->measurands : std::vector<std::string>{};
  const std::string wanted = fmt::format("{}", fmt::join(measurands, ","));
  if (auto k = setup.knowledge.find("measurands");
      k != setup.knowledge.end() && s.known.measurands_asked.empty()) {
    const auto arrow = k->second.find(" -> ");
    if (arrow != std::string::npos) {
      s.known.measurands_asked = k->second.substr(0, arrow);
      s.known.measurands_taken = k->second.substr(arrow + 4);
    }
  }
  if (!measurands.empty() && s.known.measurands_asked == wanted && !s.known.measurands_taken.empty())
    measurands = split(s.known.measurands_taken);
  meter(id, wanted, measurands, s.known.profile ? s.known.profile->meter_interval_s : 10);
  lay(id);
  // Profiles another central system left (a cloud backend's 0 A at a higher stack level) would override
  // hemd's. They go after hemd's own are in place, so the charger never runs on its maximum alone in
  // between; hemd's, at their stack levels, replaced what was there.
  for (int level = s.known.stack_level + 1;
       level <= std::min(s.known.max_stack_level, s.known.stack_level + 8); ++level)
    call(id, dialect(s.version).clear_default_profiles(level));
  // What the connector is doing now, rather than at its next change.
  call(id, dialect(s.version).trigger("StatusNotification"));
}

// What a run before learnt of the charger, for a charger met before its set-up in this run (hemd restarted,
// the charger did not) and for the set-up itself.
void Central::recall(const std::string& id) {
  Session& s = sessions[id];
  const auto& setup = setups.at(id);
  const auto known = [&](const char* key) -> const std::string* {
    auto k = setup.knowledge.find(key);
    return k == setup.knowledge.end() ? nullptr : &k->second;
  };
  if (auto k = known("limit_as");
      k && parse<Purpose>(*k) == Purpose::TxProfile && !s.known.tx_profile_fallback) {
    s.known.tx_profile_fallback = true;
    log::notice("ocpp: {}: known from before: it refuses TxDefaultProfiles; limits go as TxProfile", id);
  }
  if (auto k = known("max_profile"); k && *k == "refused") s.known.max_profile_refused = true;
  if (s.decided.set_up_on) return;  // what it said on this run's set-up stands
  if (!s.known.profile && setup.profile) s.known.profile = &*setup.profile;
  if (known("identity") && !s.known.profile) {
    std::lock_guard lock(mutex_);
    const ChargerView& v = view(id);  // who it said it was, a run before
    s.known.profile = profiles_.match(v.vendor, v.model);
  }
  if (s.known.profile && s.known.profile->stack_level) s.known.stack_level = *s.known.profile->stack_level;
  if (auto unit = known("rate_unit") ? parse<RateUnit>(*known("rate_unit")) : std::nullopt)
    s.known.unit = *unit;
  if (auto unit = s.known.profile ? parse<RateUnit>(s.known.profile->rate_unit) : std::nullopt)
    s.known.unit = *unit;  // not auto
  std::lock_guard lock(mutex_);
  ChargerView& v = view(id);
  v.rate_unit = word(s.known.unit);
  if (s.known.profile) v.profile = s.known.profile->name;
}

// The floor, the installation's maximum and the limit in force, each in place of the one before (same id,
// same stack level).
void Central::lay(const std::string& id) {
  Session& s = sessions[id];
  const auto& setup = setups.at(id);
  if (s.known.stack_level > 0 && !s.known.tx_profile_fallback)
    set_profile(id, floor_profile, Purpose::TxDefaultProfile, s.known.stack_level - 1, setup.safe_current_a,
                std::nullopt);
  // The installation's maximum, enforced by the charger itself whatever else happens.
  if ((!s.known.profile || s.known.profile->charge_point_max_profile) && !s.known.max_profile_refused)
    set_profile(id, max_profile, Purpose::ChargePointMaxProfile, 0, setup.max_current_a, std::nullopt);
  s.decided.configured = true;
  s.decided.limit.sent_a.reset();
  update(id);
}

double Central::limit_in_unit(const Session& s, const std::string& id, double amps) const {
  return s.known.unit == RateUnit::W ? std::round(amps * 230.0 * phases_of(s, id)) : amps;
}

int Central::phases_of(const Session& s, const std::string& id) const {
  return s.decided.limit.phases ? s.decided.limit.phases : setups.at(id).phases;
}

// With `lapse_after_s` the limit holds that long and then the charger is back at its safe current by
// itself: hemd renews it while it runs, a crashed hemd does not.
void Central::set_profile(const std::string& id, int profile_id, Purpose purpose, int stack_level,
                          double amps, std::optional<int> lapse_after_s, std::function<void(bool)> done) {
  Session& s = sessions[id];
  ProfileSpec p;
  if (purpose == Purpose::TxProfile) {
    std::lock_guard lock(mutex_);
    p.transaction = view(id).transaction_id;
    // Chargers disagree on a TxProfile outside a transaction: sent only to those whose quirk profile says
    // they take one (it then holds for the next transaction).
    if (!p.transaction && !(s.known.profile && s.known.profile->tx_profile_without_transaction)) {
      if (done) done(false);
      return;
    }
  }
  const auto& setup = setups.at(id);
  const double limit = amps >= setup.min_current_a ? amps : 0.0;
  const double safe = setup.safe_current_a >= setup.min_current_a ? setup.safe_current_a : 0.0;
  const bool phases = s.known.unit == RateUnit::A && (!s.known.profile || s.known.profile->number_phases);
  auto period = [&](int start, double a) {
    return ProfileSpec::Period{start, limit_in_unit(s, id, a),
                               phases ? std::optional<int>(phases_of(s, id)) : std::nullopt};
  };
  const bool cap = purpose == Purpose::ChargePointMaxProfile;
  p.id = profile_id;
  p.purpose = purpose;
  p.stack_level = stack_level;
  p.unit = s.known.unit;
  p.relative = s.known.profile && s.known.profile->profile_kind == "Relative" && !cap;
  // Clocks in chargers run slow as often as fast: a minute's head start keeps the schedule in force.
  if (!p.relative) p.start_ms = now() - 60'000;
  p.periods.push_back(period(0, limit));
  if (lapse_after_s) {
    if (stack_level == 0 && s.known.max_periods < 2) {
      // No floor below and no room for a second period: a lapsing limit would leave the charger at its own
      // maximum, so this one holds until hemd sends the next.
      log::info("ocpp: {}: one stack level and one period only: the limit holds if hemd stops", id);
    } else if (stack_level == 0) {
      // No level below for a floor (a charger that takes stack level 0 only): the fall-back is a second
      // period.
      p.periods.push_back(period(*lapse_after_s + 60, safe));
    } else {
      p.duration_s = *lapse_after_s + 60;
    }
  }
  const bool dynamic = profile_id == limit_profile || profile_id == tx_profile;
  call(
      id, dialect(s.version).set_profile(p),
      [this, id, limit, done, purpose, dynamic](const json& r) {
        // (An answer off its schema is used too: a status that is none of the schema's words is named so,
        // never echoed.)
        std::string status = r.value("status", "");
        if (status != "Accepted" && status != "Rejected" && status != "NotSupported")
          status = "an unreadable status";
        profile_answer(id, purpose, dynamic, limit, status);
        if (done) done(status == "Accepted");
      },
      [done] {
        if (done) done(false);
      });
}

void Central::profile_answer(const std::string& id, Purpose purpose, bool dynamic, double limit,
                             const std::string& status) {
  Session& s = sessions[id];
  const bool ok = status == "Accepted";
  std::lock_guard lock(mutex_);
  ChargerView& v = view(id);
  if (purpose == Purpose::ChargePointMaxProfile) {
    if (!ok) {
      log::notice("ocpp: {}: no ChargePointMaxProfile ({}); hemd's limits alone keep it in", id, status);
      s.known.max_profile_refused = true;
      learnt_that(id, "max_profile", "refused");
    }
  } else if (ok) {
    if (purpose == Purpose::TxProfile) s.known.tx_refusals = 0;
    if (dynamic && limit != v.offered_a) {
      s.decided.limit_accepted_ms = now();
      s.reported.over_limit_reports = 0;
    }
    if (dynamic) {
      v.offered_a = limit;
      v.limit_purpose = word(purpose);
      v.profile_rejected = false;
    }
  } else if (dynamic && purpose == Purpose::TxDefaultProfile && !s.known.tx_profile_fallback) {
    // Some chargers take limits only for a running transaction (as the Home Assistant integration learnt):
    // from now on the limit goes out as a TxProfile while there is one.
    s.known.tx_profile_fallback = true;
    s.decided.limit.sent_a.reset();
    learnt_that(id, "limit_as", std::string(word(Purpose::TxProfile)));
    v.last_error = "TxDefaultProfile " + status + "; TxProfile inside transactions";
    log::warning(
        "ocpp: {}: answered {} to a TxDefaultProfile; limits go out as TxProfile inside transactions, the "
        "safe current outside them",
        id, status);
    if (!v.transaction_id) v.profile_rejected = true;
  } else if (purpose == Purpose::TxProfile && ++s.known.tx_refusals < 3) {
    // A charger may not know its transaction id yet when the profile follows the transaction's start at
    // once: asked again at the next tick before it counts as a refusal.
    s.decided.limit.sent_a.reset();
    log::info("ocpp: {}: TxProfile {}; trying again", id, status);
  } else {
    v.profile_rejected = true;
    v.last_error = "SetChargingProfile " + status;
    log::warning("ocpp: {}: the charger answered {} to a charging profile; it gets its safe current", id,
                 status);
  }
}

// After a changed limit: does the charger apply it? Its composite schedule says what it will do.
void Central::verify(const std::string& id, double amps, int seq) {
  Session& s = sessions[id];
  if (s.known.profile && !s.known.profile->verify_with_composite_schedule) return;
  Dialect& d = dialect(s.version);
  call(id, d.composite_schedule(s.known.unit, 60), [this, &d, id, amps, seq](const json& r) {
    if (sessions[id].decided.limits_sent != seq) return;  // a newer limit went out meanwhile: judged after it
    const auto applied = d.applied_a(r, setups.at(id).phases);
    if (!applied) return;
    const double expected = std::min(amps, setups.at(id).max_current_a);
    std::lock_guard lock(mutex_);
    ChargerView& v = view(id);
    const bool ignored = std::abs(*applied - expected) > 0.5;
    if (ignored && !v.profile_ignored)
      log::warning(
          "ocpp: {}: accepted a limit of {:.1f} A but its composite schedule says {:.1f} A: it does not "
          "apply hemd's profiles; counted at {:.1f} A",
          id, expected, *applied, *applied);
    if (!ignored && v.profile_ignored) log::notice("ocpp: {}: applies hemd's limits again", id);
    v.profile_ignored = ignored;
    if (ignored) {
      v.offered_a = *applied;
      v.last_error = fmt::format("accepts profiles but applies {:.1f} A", *applied);
    }
  });
}

// The second check, for every charger (and the only one for those whose composite schedule cannot be
// trusted): what it measures. A car still drawing, or a charger still offering, clearly more than the limit
// in two reports in a row once the car had time to follow, means the charger does not apply it. It then
// counts at what it draws, until it keeps to its limit again.
void Central::check_measured(const std::string& id, Session& s, ChargerView& v,
                             std::optional<double> offered_a) {
  constexpr std::int64_t follow_ms = 10'000;
  if (!s.decided.limit_accepted_ms || now() - s.decided.limit_accepted_ms < follow_ms) return;
  // A report the range check refuses (milliamps sent as amps, NaN: strategies/plausibility.h) says nothing
  // of the car: it neither counts as one over the limit nor as one within it. The control loop refuses it by
  // the same bounds (the site's voltage may differ a little from the nominal one used here for power).
  ChargerState reported;
  reported.id = id;
  reported.max_current_a = setups.at(id).max_current_a;
  reported.phases = setups.at(id).phases;
  reported.current_a = v.current_a;
  reported.power_w = v.power_w;
  if (charger_draw_problem(reported, SiteLimits{})) return;
  const bool offered_plausible =
      offered_a && *offered_a >= 0 && *offered_a <= charger_phase_bound_a(reported);
  const double offered = offered_plausible ? *offered_a : 0;
  const double drawn = *std::max_element(v.current_a.begin(), v.current_a.end());
  const bool over = drawn > v.offered_a + 2 || (offered_plausible && offered > v.offered_a + 1);
  s.reported.over_limit_reports = over ? s.reported.over_limit_reports + 1 : 0;
  if (s.reported.over_limit_reports >= 2 && !v.profile_ignored) {
    log::warning(
        "ocpp: {}: accepted a limit of {:.1f} A but the car draws {:.1f} A{}: it does not apply hemd's "
        "profiles",
        id, v.offered_a, drawn, offered_plausible ? fmt::format(" (offered {:.1f} A)", offered) : "");
    v.profile_ignored = s.known.ignores_by_measurement = true;
    v.last_error = fmt::format("accepts profiles but the car draws {:.1f} A", drawn);
  } else if (!over && s.known.ignores_by_measurement) {
    log::notice("ocpp: {}: keeps to hemd's limit again", id);
    v.profile_ignored = s.known.ignores_by_measurement = false;
  }
}

// The wanted limit, when it matters (limit_policy.h decides; this carries it out).
void Central::update(const std::string& id) {
  Session& s = sessions[id];
  if (!s.open || !s.decided.configured) return;
  const auto& setup = setups.at(id);
  LimitWish wish;
  std::optional<std::string> transaction;
  {
    std::lock_guard lock(mutex_);
    auto it = desired.find(id);
    wish.amps = it == desired.end() ? setup.safe_current_a : it->second;
    auto ph = desired_phases.find(id);
    wish.phases = ph == desired_phases.end() ? setup.phases : ph->second;
    transaction = view(id).transaction_id;
    wish.car_connected = view(id).car_connected;
  }
  wish.in_transaction = transaction.has_value();
  wish.others_cutting = others_cutting(id);
  wish.now_ms = now();
  LimitCharger charger;
  charger.min_current_a = setup.min_current_a;
  charger.safe_current_a = setup.safe_current_a;
  charger.wiring_phases = setup.phases;
  charger.tx_profile_fallback = s.known.tx_profile_fallback;
  if (s.known.profile) {
    charger.tx_profile_without_transaction = s.known.profile->tx_profile_without_transaction;
    charger.pause_by_remote_stop = s.known.profile->pause == "remote_stop";
    charger.start_by_remote_start = s.known.profile->remote_start;
  }
  const LimitPacing pacing{options_.profile_duration_s, options_.min_resend_s, options_.deadband_a};
  const LimitAction a = next_limit(pacing, charger, s.decided.limit, wish);
  s.decided.limit = a.after;

  Dialect& d = dialect(s.version);
  if (a.command == LimitAction::Command::remote_stop && transaction) {
    log::info("ocpp: {}: {}", id, a.command_why);
    call(id, d.stop_session(*transaction));
  } else if (a.command == LimitAction::Command::remote_start) {
    log::info("ocpp: {}: {}", id, a.command_why);
    call(id, d.start_session(own_tag()));
  }
  if (a.profile == LimitAction::Profile::wait) log::debug("ocpp: {}: {}", id, a.why);
  if (a.profile != LimitAction::Profile::send) return;
  // The limit's number: a composite schedule asked for after a newer limit went out judges that one.
  const int seq = ++s.decided.limits_sent;
  if (a.cut) {
    s.decided.cut_unanswered = seq;
    options_.cuts->cutting(listener_, id);
  }
  const double want = a.amps;
  const bool changed = a.changed;
  set_profile(id, a.purpose == Purpose::TxProfile ? tx_profile : limit_profile, a.purpose,
              s.known.stack_level, want, options_.profile_duration_s,
              [this, id, want, changed, seq](bool ok) {
                cut_accepted(id, seq, ok, want);
                if (ok && changed) verify(id, want, seq);
              });
}

bool Central::others_cutting(const std::string& id) const {
  return options_.cuts->others_cutting(id);
}

// A charger takes seconds to apply a profile it has accepted: an accepted cut is taken once the charger's
// meter shows the car at or below it. One that reports no current, or none within cut_seen_within_ms, is
// taken at its word; a refused or failed cut holds nothing back (the fuse guard acts on the meter).
void Central::cut_accepted(const std::string& id, int seq, bool ok, double amps) {
  constexpr int cut_seen_within_ms = 15'000;  // a charger metering every 10 s has reported by then
  Session& s = sessions[id];
  if (s.decided.cut_unanswered != seq) return;
  double drawn;
  {
    std::lock_guard lock(mutex_);
    const auto& current = view(id).current_a;
    drawn = *std::max_element(current.begin(), current.end());
  }
  if (!ok || drawn <= amps + cut_tolerance_a) {
    cut_answered(id, seq);
    return;
  }
  s.decided.cut_awaits_meter = true;
  log::debug("ocpp: {}: cut to {:.1f} A accepted; the car still draws {:.1f} A", id, amps, drawn);
  after_ms(cut_seen_within_ms, [this, id, seq] { cut_answered(id, seq); });
}

// A cut is answered (or its charger gone, counted at its last limit): the raises it held go out, on this
// listener here and on the others by the ledger's wake.
void Central::cut_answered(const std::string& id, int seq) {
  Session& s = sessions[id];
  if (!s.decided.cut_unanswered || s.decided.cut_unanswered != seq) return;
  s.decided.cut_unanswered = 0;
  s.decided.cut_awaits_meter = false;
  options_.cuts->answered(listener_, id);
  if (others_cutting(id)) return;
  for (auto& [other, o] : sessions)
    if (other != id && o.open && o.decided.configured) update(other);
}

void Central::cuts_taken_elsewhere() {
  if (others_cutting("")) return;  // a new cut went out since
  for (auto& [id, s] : sessions)
    if (s.open && s.decided.configured) update(id);
}

}  // namespace hemd::ocpp
