// Sessions and messages: what arrives from a charger, what hemd asks of it, and what it reports.
#include <fmt/format.h>
#include <algorithm>

#include "drivers/log/log.h"
#include "drivers/log/wall_clock.h"
#include "drivers/ocpp/central.h"

namespace hemd::ocpp {

namespace {

bool car_present(ConnectorStatus status) {
  using S = ConnectorStatus;
  return status == S::Preparing || status == S::Charging || status == S::SuspendedEV ||
         status == S::SuspendedEVSE || status == S::Finishing;
}

}  // namespace

int phase_index(const std::string& phase) {
  return phase.rfind("L1", 0) == 0 ? 0 : phase.rfind("L2", 0) == 0 ? 1 : phase.rfind("L3", 0) == 0 ? 2 : -1;
}

namespace {

// Vendor, model, firmware and serial, one line with tabs between (a tab inside one of them is a space).
std::string identity_text(const ChargerView& v) {
  std::string text;
  for (const std::string* field : {&v.vendor, &v.model, &v.firmware, &v.serial}) {
    if (!text.empty() || field != &v.vendor) text += '\t';
    for (char c : *field) text += c == '\t' ? ' ' : c;
  }
  return text;
}

void remembered_identity(const std::string& text, ChargerView& v) {
  std::string* fields[] = {&v.vendor, &v.model, &v.firmware, &v.serial};
  std::size_t at = 0;
  for (std::string* field : fields) {
    const auto tab = std::min(text.find('\t', at), text.size());
    *field = at < text.size() ? text.substr(at, tab - at) : std::string();
    at = tab + 1;
  }
}

}  // namespace

Central::Central(CsmsOptions o, std::vector<ChargerSetup> chargers, config::ProfileSet p,
                 Csms::SessionSink session_sink, Csms::WallClock wall_clock, Csms::LearntSink learnt_sink)
    : options_(std::move(o)),
      profiles_(std::move(p)),
      sink(std::move(session_sink)),
      learnt(std::move(learnt_sink)),
      clock(wall_clock ? std::move(wall_clock) : Csms::WallClock(wall_ms)) {
  for (auto& c : chargers) {
    // Who it is, from a run before, until it boots again (it may not: it did not restart with hemd).
    ChargerView& v = charger_views[c.id] = ChargerView{};
    if (auto k = c.knowledge.find("identity"); k != c.knowledge.end()) remembered_identity(k->second, v);
    setups.emplace(c.id, std::move(c));
  }
  ocpp16 = make_ocpp16(*this);
  if (!options_.cuts) options_.cuts = std::make_shared<CutLedger>();
  listener_ = options_.cuts->join([this] { post([this] { cuts_taken_elsewhere(); }); });
}

Central::~Central() {
  leave_cuts();
}

void Central::leave_cuts() {
  options_.cuts->leave(listener_);
}

Dialect& Central::dialect(Version v) {
  if (v == Version::v16) return *ocpp16;
  if (!ocpp201) ocpp201 = make_ocpp201(*this);
  return *ocpp201;
}

// Queues a CALL; one is in flight per charger and the answer is handled as a message, never waited for.
void Central::call(const std::string& id, Request r, std::function<void(const json&)> on_result,
                   std::function<void()> on_failure) {
  Session& s = sessions[id];
  s.queue.push_back(Session::Pending{"", std::move(r.action), std::move(r.payload), std::move(on_result),
                                     std::move(on_failure), 0});
  pump(id);
}

// One step of a conversation ends: with the answer, or without one (`answer` null). A step that fails does
// not stop the steps after it, and an answer that cannot be used counts as none.
void Central::finish(const std::string& id, Session::Pending& p, const json* answer) {
  if (answer && p.on_result) {
    try {
      p.on_result(*answer);
      return;
    } catch (const std::exception& e) {
      log::warning("ocpp: {}: its {} answer could not be used: {}", id, p.action, log::quoted(e.what()));
    }
  } else if (answer) {
    return;
  }
  if (p.on_failure) p.on_failure();
}

void Central::pump(const std::string& id) {
  Session& s = sessions[id];
  if (!s.open || s.outstanding || s.queue.empty()) return;
  Session::Pending p = std::move(s.queue.front());
  s.queue.pop_front();
  // hemd's own messages meet the same schemas it holds chargers to; one that does not is a bug in hemd,
  // reported here rather than as a rejection by a strict charger.
  if (auto v = dialect(s.version).schemas().check(p.action, false, p.payload)) {
    log::error("ocpp: {}: not sending {}: {} (a bug in hemd)", id, p.action, v->description);
    return pump(id);
  }
  p.id = fmt::format("hemd-{}", s.next_id++);
  p.sent_ms = now();
  send_text(id, call_frame(p.id, p.action, p.payload));
  s.outstanding = std::move(p);
}

void Central::received(const std::string& id, const std::string& text) {
  Session& s = sessions[id];
  {
    std::lock_guard lock(mutex_);
    view(id).last_seen_ms = now();
  }
  const Frame f = parse_frame(text);
  if (const auto* bad = std::get_if<BadFrame>(&f)) {
    log::warning("ocpp: {}: malformed frame ({}): {}", id, bad->code, log::quoted(bad->description));
    // 2.0.1 names a broken envelope an RPC framework error and an unknown message type by that name.
    std::string code = bad->code;
    if (s.version == Version::v201)
      code = code == "FormationViolation" ? "RpcFrameworkError" : "MessageTypeNotSupported";
    send_text(id, error_frame(bad->id, code, bad->description));
    return;
  }
  if (const auto* c = std::get_if<Call>(&f)) return handle_call(id, s, *c);
  if (const auto* r = std::get_if<CallResult>(&f)) {
    if (!s.outstanding || s.outstanding->id != r->id) {
      log::info("ocpp: {}: answer to unknown message {} ignored", id, log::quoted(r->id));
      return;
    }
    Session::Pending p = std::move(*s.outstanding);
    s.outstanding.reset();
    // Firmware gets details wrong ("readonly": 1 for a boolean): what can be read is used, the deviation
    // noted once per charger and action.
    if (auto v = dialect(s.version).schemas().check(p.action, true, r->payload);
        v && s.known.deviations.insert(p.action).second)
      log::warning("ocpp: {}: its {} answer does not follow the schema ({}); what can be read is used", id,
                   p.action, log::quoted(v->description));
    finish(id, p, &r->payload);
    pump(id);
    return;
  }
  const auto& e = std::get<CallError>(f);
  // Only the error to the CALL in flight ends it; a stray or late one would let a second CALL out while the
  // first is still unanswered.
  if (!s.outstanding || s.outstanding->id != e.id) {
    log::info("ocpp: {}: error for unknown message {} ignored", id, log::quoted(e.id));
    return;
  }
  Session::Pending p = std::move(*s.outstanding);
  s.outstanding.reset();
  log::warning("ocpp: {}: {} failed: {} {}", id, p.action, log::quoted(e.code), log::quoted(e.description));
  {
    std::lock_guard lock(mutex_);
    view(id).last_error = fmt::format("{}: {} {}", p.action, e.code, e.description);
  }
  finish(id, p, nullptr);
  pump(id);
}

void Central::handle_call(const std::string& id, Session& s, const Call& c) {
  Dialect& d = dialect(s.version);
  if (!d.schemas().knows(c.action)) {
    // OCPP-J: NotSupported for an action the version defines and hemd does not take, NotImplemented for
    // one it does not define.
    const bool defined = d.schemas().defines(c.action);
    log::info("ocpp: {}: {} {}", id, log::quoted(c.action), defined ? "not supported" : "unknown");
    send_text(
        id, error_frame(c.id, defined ? "NotSupported" : "NotImplemented",
                        (defined ? "hemd does not support " : "hemd does not know the action ") + c.action));
    return;
  }
  if (auto v = d.schemas().check(c.action, false, c.payload)) {
    log::warning("ocpp: {}: {} refused ({}): {}", id, c.action, v->code, log::quoted(v->description));
    send_text(id, error_frame(c.id, v->code, v->description));
    return;
  }
  Dialect::Answer a;
  {
    std::lock_guard lock(mutex_);
    a = d.answer(id, s, view(id), c);
  }
  send_text(id, result_frame(c.id, a.payload));
  if (a.booted) configure(id);
  if (a.changed) update(id);
}

bool Central::accepts(const std::string& tag) const {
  return options_.free_charging ||
         std::find(options_.id_tags.begin(), options_.id_tags.end(), tag) != options_.id_tags.end();
}

void Central::booted(const std::string& id, Session& s, ChargerView& v, Identity who) {
  v.booted = true;
  v.vendor = std::move(who.vendor);
  v.model = std::move(who.model);
  v.firmware = std::move(who.firmware);
  v.serial = std::move(who.serial);
  const auto& setup = setups.at(id);
  s.known.profile = setup.profile ? &*setup.profile : profiles_.match(v.vendor, v.model);
  v.profile = s.known.profile ? s.known.profile->name : "generic";
  // So that after a restart of hemd its quirk profile is known before it boots again (it may never).
  const std::string identity = identity_text(v);
  if (auto k = setup.knowledge.find("identity"); k == setup.knowledge.end() || k->second != identity)
    learnt_that(id, "identity", identity);
  log::notice("ocpp: {} booted: {} {} over {} (profile {})", id, log::quoted(v.vendor, 50),
              log::quoted(v.model, 50), v.protocol, v.profile);
}

void Central::connector_status(Session& s, ChargerView& v, ConnectorStatus status) {
  const bool was_connected = v.car_connected;
  v.status = word(status);
  v.car_connected = car_present(status);
  if (!v.car_connected) {
    s.decided.limit.remote_started = s.decided.limit.remote_stopped = false;
    v.ev_need.reset();  // the next car says what it needs itself
  }
  // A car that has just arrived starts at once: the rate limit spares contactors from a limit that hunts,
  // not from the first start.
  if (v.car_connected && !was_connected) s.decided.limit.car_arrived = true;
}

void Central::transaction_started(const std::string& id, Session& s, ChargerView& v, const std::string& tx,
                                  const std::string& tag, double meter_wh) {
  v.transaction_id = tx;
  s.reported.id_tag = tag;
  s.reported.meter_start_wh = meter_wh;
  v.session_wh = 0;
  if (sink) sink({id, tx, tag, false, now(), meter_wh, ""});
  if (s.known.tx_profile_fallback)
    s.decided.limit.sent_a.reset();  // the limit can be sent now, as a TxProfile
}

void Central::transaction_ended(const std::string& id, Session& s, ChargerView& v, const std::string& tag,
                                double meter_wh, const std::string& reason) {
  if (!v.transaction_id) return;
  if (sink)
    sink({id, *v.transaction_id, tag.empty() ? s.reported.id_tag : tag, true, now(), meter_wh, reason});
  v.session_wh = meter_wh - s.reported.meter_start_wh;
  v.transaction_id.reset();
  if (s.decided.limit.purpose == Purpose::TxProfile)
    s.decided.limit.sent_a.reset();  // the charger drops a TxProfile with its transaction
}

void Central::samples(const std::string& id, Session& s, ChargerView& v, const std::vector<Sample>& values) {
  const bool drawn = std::any_of(values.begin(), values.end(), [](const Sample& x) {
    return x.measurand == Measurand::Current_Import || x.measurand == Measurand::Power_Active_Import;
  });
  if (drawn) ++v.meter_reports;
  std::optional<double> offered;
  for (const auto& x : values) {
    if (x.measurand == Measurand::Current_Offered) offered = offered ? std::max(*offered, x.value) : x.value;
    if (x.measurand == Measurand::Energy_Active_Import_Register && x.phase < 0) {
      v.energy_wh = x.value;
      if (v.transaction_id) v.session_wh = x.value - s.reported.meter_start_wh;
    } else if (x.measurand == Measurand::Power_Active_Import && x.phase < 0) {
      v.power_w = x.value;
    } else if (x.measurand == Measurand::Current_Import) {
      if (x.phase >= 0)
        v.current_a[x.phase] = x.value;
      else
        v.current_a = {x.value, x.value, x.value};
    } else if (x.measurand == Measurand::Voltage && x.phase >= 0) {
      v.voltage_v[x.phase] = x.value;
    } else if (x.measurand == Measurand::SoC) {
      v.soc_pct = x.value;
    }
  }
  if (drawn || offered) check_measured(id, s, v, offered);
  const auto& sent = s.decided.limit.sent_a;
  if (drawn && s.decided.cut_awaits_meter && sent &&
      *std::max_element(v.current_a.begin(), v.current_a.end()) <= *sent + cut_tolerance_a) {
    s.decided.cut_awaits_meter = false;
    // Taken outside this call: the charger's view is locked here, and the raises it frees lock it again.
    after_ms(0, [this, id, seq = s.decided.cut_unanswered] { cut_answered(id, seq); });
  }
}

void Central::do_act(const std::string& id, Csms::Action a) {
  using Action = Csms::Action;
  std::optional<std::string> transaction;
  {
    std::lock_guard lock(mutex_);
    transaction = view(id).transaction_id;
  }
  auto report = [this, id](const std::string& action) {
    return [this, id, action](const json& r) {
      const std::string status = r.value("status", "");
      const bool ok = status == "Accepted" || status == "Unlocked" || status == "Scheduled";
      if (ok) log::notice("ocpp: {}: {}: {}", id, action, status);  // one of the words above
      if (!ok) {
        log::warning("ocpp: {}: {}: {}", id, action, log::quoted(status, 40));
        std::lock_guard lock(mutex_);
        view(id).last_error = action + ": " + status;
      }
    };
  };
  Dialect& d = dialect_of(id);
  switch (a) {
    case Action::start_session:
      call(id, d.start_session(own_tag()), report("start session"));
      break;
    case Action::stop_session:
      if (!transaction) return log::notice("ocpp: {}: stop session: no session running", id);
      call(id, d.stop_session(*transaction), report("stop session"));
      break;
    case Action::restart:
    case Action::hard_restart:
      call(id, d.reset(a == Action::hard_restart), report("restart"));
      break;
    case Action::unlock:
      call(id, d.unlock(), report("unlock"));
      break;
    case Action::enable:
    case Action::disable: {
      const bool on = a == Action::enable;
      call(id, d.availability(on, false),
           [this, id, on, done = report(on ? "enable" : "disable")](const json& r) {
             done(r);
             if (r.value("status", "") == "Rejected") return;
             std::lock_guard lock(mutex_);
             view(id).available = on;
           });
      break;
    }
    case Action::wake_by_availability_cycle:
    case Action::wake_by_restart_transaction:
      wake(id, a);
      break;
  }
}

void Central::tick() {
  const std::int64_t t = now();
  for (auto& [id, s] : sessions) {
    if (!s.open) continue;
    if (s.outstanding && t - s.outstanding->sent_ms > options_.call_timeout_s * 1000) {
      log::warning("ocpp: {}: no answer to {} within {} s; going on", id, s.outstanding->action,
                   options_.call_timeout_s);
      Session::Pending p = std::move(*s.outstanding);
      s.outstanding.reset();
      finish(id, p, nullptr);
      pump(id);
    }
    std::int64_t seen;
    {
      std::lock_guard lock(mutex_);
      seen = view(id).last_seen_ms;
    }
    if (t - seen > (2 * options_.heartbeat_s + 30) * 1000LL) {
      log::warning("ocpp: {} has been silent for {} s: offline", id, (t - seen) / 1000);
      close(id, "silent");
      mark_closed(id);
      continue;
    }
    update(id);
  }
}

void Central::mark_closed(const std::string& id) {
  Session& s = sessions[id];
  s.open = false;
  s.decided.configured = false;
  s.outstanding.reset();
  s.queue.clear();
  // Counted at its last limit while it is away: raises elsewhere no longer wait for its cut.
  if (s.decided.cut_unanswered) cut_answered(id, s.decided.cut_unanswered);
  std::lock_guard lock(mutex_);
  view(id).connected = false;
}

void Central::opened(const std::string& id, Version version) {
  Session& s = sessions[id];
  s.open = true;
  if (s.version != version) {
    // A transaction of the other version means nothing in this one; the charger tells of its own again.
    std::lock_guard lock(mutex_);
    view(id).transaction_id.reset();
  }
  s.version = version;
  s.decided.configured = false;
  s.decided.limit.sent_a.reset();
  const int connection = ++s.connection;
  dialect(version);  // loads the version's schemas now rather than on the first message
  {
    std::lock_guard lock(mutex_);
    ChargerView& v = view(id);
    v.connected = true;
    v.last_seen_ms = now();
    v.protocol = subprotocol(version);
  }
  log::notice("ocpp: {} connected ({})", id, subprotocol(version));
  // A charger set up before (a dropped connection, a restart of its own) gets its floor and its limit at
  // once, in place of what it holds, rather than sit with whatever it has until it is set up again.
  if (s.decided.set_up_on) {
    log::info("ocpp: {}: known from before: the floor and the limit go out at once", id);
    lay(id);
  } else if (!setups.at(id).knowledge.empty()) {
    // One a run before set up but this run not yet (hemd restarted, the charger did not, so no
    // BootNotification may come) gets them a second later, from what that run learnt of it: a charger that
    // boots says so first, and is not sent calls before its boot is accepted. One never met before boots.
    after_ms(1'000, [this, id, connection] {
      Session& s = sessions[id];
      if (!s.open || s.decided.set_up_on || s.connection != connection) return;
      recall(id);
      log::info(
          "ocpp: {}: not set up in this run and not booting: the floor and the limit go out now, in "
          "{} at stack level {} as a run before learnt; the set-up follows",
          id, word(s.known.unit), s.known.stack_level);
      lay(id);
    });
  }
  // A charger that reconnects without booting is set up again all the same.
  after_ms(10'000, [this, id, connection] {
    Session& s = sessions[id];
    if (!s.open || s.decided.set_up_on == connection || s.connection != connection) return;
    bool booted;
    {
      std::lock_guard lock(mutex_);
      booted = view(id).booted;
    }
    if (!booted) call(id, dialect(s.version).trigger("BootNotification"));
    configure(id);
  });
}

void Central::closed(const std::string& id) {
  mark_closed(id);
  log::warning("ocpp: {} disconnected; its last limit stays counted until it is back", id);
}

std::map<std::string, ChargerView> Central::views() const {
  std::lock_guard lock(mutex_);
  return charger_views;
}

bool Central::want(const std::string& id, double amps, int phases) {
  std::lock_guard lock(mutex_);
  auto it = desired.find(id);
  auto ph = desired_phases.find(id);
  const bool same_phases =
      phases == 0 ? ph == desired_phases.end() : ph != desired_phases.end() && ph->second == phases;
  if (it != desired.end() && it->second == amps && same_phases) return false;
  desired[id] = amps;
  if (phases == 0)
    desired_phases.erase(id);
  else
    desired_phases[id] = phases;
  return true;
}

}  // namespace hemd::ocpp
