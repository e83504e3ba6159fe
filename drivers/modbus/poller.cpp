#include "drivers/modbus/poller.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <tuple>

#include "drivers/log/log.h"
#include "drivers/log/wall_clock.h"

namespace hemd::modbus {

Poller::Poller(Endpoint endpoint, std::vector<DeviceSpec> devices, std::chrono::milliseconds interval,
               WallClock clock)
    : connection_(std::move(endpoint), std::chrono::milliseconds(500)),
      interval_(interval),
      clock_(clock ? std::move(clock) : WallClock(wall_ms)) {
  for (auto& spec : devices) {
    Device d{std::move(spec), std::nullopt, {}, {}, {}, {}, {}, false, {}, {}};
    if (d.spec.map && d.spec.map->sunspec) d.spec.map.reset();  // a SunSpec profile: discovered, not mapped
    if (d.spec.map) d.blocks = plan_blocks(*d.spec.map);
    states_[d.spec.name] = DeviceState{};
    devices_.push_back(std::move(d));
  }
}

Poller::~Poller() {
  stop();
}

void Poller::stop() {
  {
    // Under the mutex the poller checks its stop under: a stop set between that check and its wait would
    // otherwise miss the wake-up and the destructor would wait a whole interval.
    std::lock_guard lock(wait_mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::vector<std::string> Poller::release_now() {
  stop();
  std::vector<std::string> failures;
  for (auto& d : devices_) {
    if (!d.spec.lock) continue;
    std::string error;
    if (write_lock(connection_, *d.spec.lock, d.spec.lock_site, false, error)) {
      log::notice("modbus: {}: battery released to its own control", d.spec.name);
      d.held = false;
    } else {
      failures.push_back(fmt::format("{}: releasing the battery failed: {}", d.spec.name, error));
    }
  }
  return failures;
}

void Poller::steer_lock(Device& d) {
  if (!d.spec.lock) return;
  const bool want = hold_;
  const auto now = std::chrono::steady_clock::now();
  // Renewed every third of the timeout: two renewals may fail before the device reverts by itself.
  const auto renew = std::chrono::seconds(std::max(1, d.spec.lock_site.revert_s / 3));
  if (want == d.held && (!want || now - d.written < renew || !d.spec.lock->reverts())) return;
  std::string error;
  if (!write_lock(connection_, *d.spec.lock, d.spec.lock_site, want, error)) {
    if (error != d.lock_error)
      log::warning("modbus: {}: {} the battery's discharge lock failed: {}", d.spec.name,
                   want ? "writing" : "releasing", error);
    d.lock_error = error;
    return;
  }
  if (want != d.held)
    log::notice("modbus: {}: battery {}", d.spec.name,
                want
                    ? (d.spec.lock->reverts()
                           ? fmt::format("holds its charge (a car charges from the grid); reverts by itself "
                                         "{} s after hemd stops renewing",
                                         d.spec.lock_site.revert_s)
                           : std::string("holds its charge (a car charges from the grid); it has no timeout: "
                                         "hemd releases it when it stops, and at its next start"))
                    : "released to its own control");
  d.lock_error.clear();
  d.held = want;
  d.written = now;
  std::lock_guard lock(mutex_);
  states_[d.spec.name].held = want;
}

void Poller::start() {
  thread_ = std::thread([this] { run(); });
}

void Poller::run() {
  while (!stop_) {
    const auto next = std::chrono::steady_clock::now() + interval_;
    // Whatever a device answers, it must not end the polling thread (nor hemd): the failure is logged with
    // its origin, and the readings age into "stale" until a poll succeeds again.
    try {
      poll_once();
      failed_.clear();
    } catch (const std::exception& e) {
      if (failed_ != e.what())
        log::error("modbus: {}: polling failed: {}", connection_.endpoint().describe(),
                   log::quoted(e.what()));
      failed_ = e.what();
    }
    std::unique_lock lock(wait_mutex_);
    wake_.wait_until(lock, next, [&] { return stop_.load(); });
  }
}

std::optional<DeviceState> Poller::state(const std::string& name) const {
  std::lock_guard lock(mutex_);
  auto it = states_.find(name);
  if (it == states_.end()) return std::nullopt;
  return it->second;
}

std::optional<Values> Poller::read(Device& d, std::string& error) {
  connection_.set_timeout(d.spec.timeout);
  const int unit = d.spec.unit;
  if (d.spec.map) {
    std::vector<std::vector<std::uint16_t>> regs;
    for (const auto& b : d.blocks) {
      auto r = connection_.read(unit, b.input, b.address, b.count, error);
      if (!r) return std::nullopt;
      regs.push_back(std::move(*r));
    }
    return decode_map(*d.spec.map, d.blocks, regs);
  }
  if (!d.layout) {
    d.layout = sunspec::discover(
        [&](int address, int count) { return connection_.read(unit, false, address, count, error); });
    if (!d.layout) {
      if (error.empty()) error = "no SunSpec marker at 40000, 0 or 50000";
      return std::nullopt;
    }
    if (d.spec.battery && d.layout->storage_models().empty()) {
      error = "SunSpec device without a storage model (124 or 802)";
      d.layout.reset();
      return std::nullopt;
    }
    if (!d.spec.battery && !d.layout->measurement_model(d.spec.meter)) {
      error = "SunSpec device without an inverter or meter model";
      d.layout.reset();
      return std::nullopt;
    }
  }
  if (d.spec.battery) {
    // 802 first: what it says wins; 124 adds the SoC where a device has only the controls model.
    Values v;
    for (const auto& m : d.layout->storage_models()) {
      auto block = connection_.read(unit, false, m.address, m.length, error);
      if (!block) {
        d.layout.reset();
        return std::nullopt;
      }
      const Values part = sunspec::parse_storage(m.id, *block);
      if (!v.soc_pct) v.soc_pct = part.soc_pct;
      if (!v.power_w) v.power_w = part.power_w;
    }
    // 124 has no power: a chain without 802 may name its battery modules in model 160.
    if (const auto mppt = d.layout->find(160); !v.power_w && mppt) {
      auto block = connection_.read(unit, false, mppt->address, mppt->length, error);
      if (!block) {
        d.layout.reset();
        return std::nullopt;
      }
      v.power_w = sunspec::parse_storage(160, *block).power_w;
    }
    if (!v.power_w) {
      error =
          "SunSpec storage without the battery's power: no model 802, and no model 160 module named "
          "StCha/StDisCha";
      return std::nullopt;
    }
    return v;
  }
  const auto m = *d.layout->measurement_model(d.spec.meter);
  auto block = connection_.read(unit, false, m.address, m.length, error);
  if (!block) {
    d.layout.reset();  // a replaced or rebooted device may have moved its models
    return std::nullopt;
  }
  return sunspec::parse(m.id, *block);
}

bool Poller::plausible(const Device& d, const Values& v, std::string& why) const {
  if (v.power_w && std::abs(*v.power_w) > d.spec.max_abs_power_w) {
    why = fmt::format("power {:.0f} W is beyond what this site can carry ({:.0f} W)", *v.power_w,
                      d.spec.max_abs_power_w);
    return false;
  }
  return true;
}

void Poller::check_counters(Device& d, Values& v) {
  // Energy counters steer nothing: a bad one is dropped from this reading, the power and currents stay.
  CounterParams p;
  p.max_power_w = d.spec.max_abs_power_w * d.spec.counter_speed;
  const std::int64_t now = clock_();
  for (auto [value, watch, what] :
       {std::tuple{&v.energy_import_wh, &d.imported, "energy imported"},
        std::tuple{&v.energy_export_wh, &d.exported, "energy exported"},
        std::tuple{&v.energy_charged_wh, &d.charged, "energy charged"},
        std::tuple{&v.energy_discharged_wh, &d.discharged, "energy discharged"}}) {
    if (!*value) continue;
    const CounterCheck c = check_counter(*watch, **value, now, p, what);
    if (c.verdict == CounterVerdict::rejected) value->reset();
    if (c.say.empty()) continue;
    if (c.verdict == CounterVerdict::rejected)
      log::warning("modbus: {}: {}", d.spec.name, c.say);
    else
      log::notice("modbus: {}: {}", d.spec.name, c.say);
  }
}

namespace {
// An error with its figures left out: a failure whose numbers change every read is one episode, not many.
std::string shape(const std::string& error) {
  std::string out;
  for (char ch : error)
    if (!std::isdigit(static_cast<unsigned char>(ch)) || out.empty() || out.back() != '#')
      out += std::isdigit(static_cast<unsigned char>(ch)) ? '#' : ch;
  return out;
}
}  // namespace

void Poller::poll_once() {
  for (auto& d : devices_) {
    steer_lock(d);
    std::string error;
    auto values = read(d, error);
    DeviceState last = *state(d.spec.name);
    std::string why;
    if (values && !plausible(d, *values, why)) {
      error = "rejected: " + why;
      values.reset();
    }
    if (values) check_counters(d, *values);
    if (values && listener_) listener_(d.spec.name, last.values, *values);
    std::lock_guard lock(mutex_);
    DeviceState& s = states_[d.spec.name];
    if (values) {
      if (s.failures > 0) log::notice("modbus: {} answers again", d.spec.name);
      s.values = *values;
      s.at_ms = clock_();
      s.error.clear();
      s.failures = 0;
      s.identity = d.spec.map ? d.spec.map->description
                   : d.spec.battery
                       ? fmt::format("{} {} (SunSpec storage)", d.layout->manufacturer, d.layout->model_name)
                       : fmt::format("{} {} (SunSpec {})", d.layout->manufacturer, d.layout->model_name,
                                     sunspec::model_name(d.layout->measurement_model(d.spec.meter)->id));
    } else {
      if (s.failures == 0 || shape(error) != shape(s.error))
        log::warning("modbus: {}: {}", d.spec.name, error);
      s.error = error;
      ++s.failures;
    }
  }
}

}  // namespace hemd::modbus
