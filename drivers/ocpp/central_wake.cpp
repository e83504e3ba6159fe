// Waking a car that missed a resume: the daemon decides that and how (strategies/sleeping_car.h, the quirk
// profile's `wake_up`); this carries the method out with the Central's own calls. Neither method touches a
// charging profile: the safe floor and the limit (TxDefaultProfiles) stay on the charger throughout, and a
// new transaction starts under them.
#include "drivers/log/log.h"
#include "drivers/ocpp/central.h"

namespace hemd::ocpp {

namespace {

constexpr int unavailable_ms = 5000;  // long enough for the contactor and the pilot signal to drop
constexpr int stop_wait_ms = 1000;    // how often the end of the stopped transaction is looked for
constexpr int stop_wait_tries = 30;   // after this many, the start goes out anyway
constexpr int after_stop_ms = 3000;   // the car sees "no session" for a moment before the new one

}  // namespace

void Central::wake(const std::string& id, Csms::Action how) {
  const Session& s = sessions[id];
  if (!s.open || !s.decided.configured)
    return log::notice("ocpp: {}: wake-up skipped: not connected or set up", id);
  if (how == Csms::Action::wake_by_availability_cycle) return wake_by_availability(id);
  std::optional<std::string> transaction;
  {
    std::lock_guard lock(mutex_);
    transaction = view(id).transaction_id;
  }
  log::notice("ocpp: {}: waking the car: stopping and starting its transaction", id);
  if (!transaction) return restart_after_stop(id, s.connection, 0);
  call(
      id, dialect_of(id).stop_session(*transaction),
      [this, id, conn = s.connection](const json& r) {
        const std::string status = r.value("status", "");
        if (status != "Accepted")
          log::warning("ocpp: {}: wake-up: remote stop {}", id, log::quoted(status, 40));
        restart_after_stop(id, conn, 0);
      },
      [this, id, conn = s.connection] { restart_after_stop(id, conn, stop_wait_tries); });
}

void Central::wake_by_availability(const std::string& id) {
  const Session& s = sessions[id];
  const bool c1 = s.known.profile && s.known.profile->change_availability_connector_1;
  if (s.known.profile && !s.known.profile->change_availability)
    return log::notice("ocpp: {}: wake-up by availability skipped: its quirk profile forbids it", id);
  log::notice("ocpp: {}: waking the car: unavailable for {} s, then available", id, unavailable_ms / 1000);
  auto back = [this, id, c1, conn = s.connection] {
    if (!sessions[id].open || sessions[id].connection != conn) return;
    call(id, dialect_of(id).availability(true, c1), [this, id](const json& r) {
      const std::string status = r.value("status", "");
      if (status == "Rejected") log::warning("ocpp: {}: wake-up: could not make it available again", id);
      update(id);
    });
  };
  call(
      id, dialect_of(id).availability(false, c1),
      [this, id, back](const json& r) {
        const std::string status = r.value("status", "");
        // Scheduled: it would go unavailable only once the transaction ends; taken back at once, as no
        // wake-up happens that way and a charger left inoperative later would strand the next car.
        if (status != "Accepted")
          log::warning("ocpp: {}: wake-up: unavailable {}: no cycle", id, log::quoted(status, 40));
        after_ms(status == "Accepted" ? unavailable_ms : 0, back);
      },
      back);
}

// The stopped transaction is waited for (a start before its end would be refused), then a new one starts.
void Central::restart_after_stop(const std::string& id, int connection, int tries) {
  const Session& s = sessions[id];
  if (!s.open || s.connection != connection) return;
  bool ended, car;
  {
    std::lock_guard lock(mutex_);
    ended = !view(id).transaction_id;
    car = view(id).car_connected;
  }
  if (!ended && tries < stop_wait_tries)
    return after_ms(stop_wait_ms,
                    [this, id, connection, tries] { restart_after_stop(id, connection, tries + 1); });
  if (!car) return log::notice("ocpp: {}: wake-up: the car left; no new session", id);
  after_ms(after_stop_ms, [this, id, connection] {
    if (!sessions[id].open || sessions[id].connection != connection) return;
    call(id, dialect_of(id).start_session(own_tag()), [this, id](const json& r) {
      const std::string status = r.value("status", "");
      if (status != "Accepted")
        log::warning("ocpp: {}: wake-up: remote start {}", id, log::quoted(status, 40));
      update(id);
    });
  });
}

}  // namespace hemd::ocpp
