#include "daemon/run.h"

#include <fmt/format.h>

#include <atomic>
#include <chrono>
#include <memory>

#include "build_info.h"
#include "config/charger_profile.h"
#include "config/config.h"
#include "daemon/app.h"
#include "daemon/demo_config.h"
#include "daemon/demo_world.h"
#include "daemon/forecast_input.h"
#include "daemon/loop.h"
#include "daemon/modbus_input.h"
#include "daemon/mqtt_io.h"
#include "daemon/notify.h"
#include "daemon/ocpp_io.h"
#include "daemon/plan_runner.h"
#include "daemon/price_input.h"
#include "daemon/runtime_settings.h"
#include "daemon/signals.h"
#include "drivers/forecast/service.h"
#include "drivers/log/log.h"
#include "drivers/log/wall_clock.h"
#include "drivers/storage/tables.h"

namespace hemd {

namespace {

// The config file (or the built-in demo's text), with its charger profiles and device maps checked; every
// error is logged. nullopt when hemd cannot run with it.
std::optional<config::Config> load(const std::string& path, const std::string& text) {
  auto result = text.empty() ? config::load_file(path) : config::load_string(text, path);
  if (result.config) {
    const auto profiles = config::load_charger_profiles(config::charger_profile_dir());
    for (const auto& e : profiles.errors) log::warning("charger profiles: {}", e.to_string());
    result.errors = config::check_profile_references(*result.config, profiles);
    for (auto& e : check_meter_devices(*result.config)) result.errors.push_back(std::move(e));
  }
  for (const auto& e : result.errors) log::error("config: {}", e.to_string());
  if (!result.errors.empty()) return std::nullopt;
  return result.config;
}

// Everything wired around the control loop, in the order it is built; destroyed in reverse.
struct Parts {
  std::unique_ptr<SimulatedSite> sim;  // the demo's house, in a demo only
  std::unique_ptr<App> app;
  std::unique_ptr<ModbusInput> meters;
  std::unique_ptr<OcppIo> chargers;
  std::unique_ptr<PriceInput> prices;
  std::unique_ptr<RuntimeSettings> settings;
  std::unique_ptr<PlanRunner> planner;
  std::unique_ptr<MqttIo> mqtt;
  std::unique_ptr<forecast::ForecastService> solar;  // outlives the input that reads it
  std::unique_ptr<ForecastInput> forecast;
};

// What systemd sees of the loop: the watchdog kicked every cycle, the status line at most every 5 s.
class ServiceStatus {
 public:
  void after_cycle(const App& app) {
    if (watchdog_.count() > 0) notify::watchdog();
    const auto wall = std::chrono::steady_clock::now();
    if (wall - last_status_ >= std::chrono::seconds(5)) {
      notify::status(app.status_line());
      last_status_ = wall;
    }
  }

 private:
  std::chrono::microseconds watchdog_ = notify::watchdog_interval();
  std::chrono::steady_clock::time_point last_status_{};
};

void cycle(Parts& p, DemoWorld& demo, ServiceStatus& service, ControlLoop& loop) {
  const TimeMs t = demo.now();
  if (p.sim) p.sim->advance(t);
  p.app->cycle(t);
  loop.set_period(std::chrono::milliseconds(p.app->config().control.interval_ms));
  demo.show(t, p.app->status_line());
  service.after_cycle(*p.app);
}

// SIGTERM, SIGINT: the loop returns after its cycle, and hemd leaves the chargers at their safe current.
std::function<void()> stop_on_sigterm(ControlLoop& loop) {
  return [&loop] {
    log::notice("hemd: stopping");
    loop.stop();
  };
}

// SIGHUP: the file is read and checked on the signal thread; the app takes it at its next cycle.
std::function<void()> reload_on_sighup(const std::string& path, bool builtin,
                                       std::atomic<App*>& running_app) {
  return [path, builtin, &running_app] {
    if (builtin) return log::notice("config: the built-in demo config cannot be reloaded");
    notify::reloading();
    log::notice("config: reloading {}", path);
    try {
      if (auto next = load(path, "")) {
        if (App* a = running_app.load()) a->stage(std::move(*next));
      } else {
        log::error("config: reload of {} failed; keeping the previous configuration", path);
      }
    } catch (const std::exception& e) {
      // Whatever the file holds, a reload never ends hemd.
      log::error("config: reload of {} failed: {}; keeping the previous configuration", path,
                 log::quoted(e.what()));
    }
    notify::ready();
  };
}

bool start_demo_site(Parts& p, config::Config& cfg, const DemoWorld& demo) {
  try {
    p.sim = demo.start_site(cfg);
  } catch (const std::exception& e) {
    log::error("demo: {}", e.what());
    return false;
  }
  return true;
}

// The app, and with it the history: its recorder owns the database's write path.
bool open_app(Parts& p, const config::Config& cfg, const DemoWorld& demo) {
  try {
    p.app = std::make_unique<App>(cfg);
    p.app->set_time_scale(demo.time_scale());
  } catch (const storage::StorageError& e) {
    log::error("storage: {}", e.what());
    return false;
  }
  return true;
}

// A grid phase that rises near the main fuse runs the next cycle at once.
void start_meters(Parts& p, const config::Config& cfg, const DemoWorld& demo, ControlLoop& loop) {
  if (cfg.meters.empty()) {
    log::warning("site: no meters configured; chargers stay at their safe current");
    return;
  }
  p.meters = std::make_unique<ModbusInput>(cfg, nullptr, demo.time_scale());
  p.meters->on_grid_step(0.9 * cfg.site.main_fuse_a, [&loop] { loop.nudge(); });
  p.meters->start();
  p.app->add_input(*p.meters);
  p.app->add_output(*p.meters);  // the batteries' discharge lock
}

// The OCPP listener, with what each charger taught hemd on earlier visits.
bool start_chargers(Parts& p, const config::Config& cfg) {
  if (!cfg.ocpp.enabled || cfg.chargers.empty()) return true;
  try {
    auto db = storage::Database::open(cfg.storage.path);
    p.chargers = std::make_unique<OcppIo>(cfg, p.app->recorder(), storage::charger_knowledge(db));
  } catch (const std::exception& e) {
    log::error("ocpp: {}", e.what());
    return false;
  }
  p.app->add_input(*p.chargers);
  p.app->add_output(*p.chargers);
  if (p.sim) p.sim->connect_charger(fmt::format("ws://127.0.0.1:{}{}", p.chargers->port(), cfg.ocpp.path));
  return true;
}

bool start_prices(Parts& p, const config::Config& cfg) {
  if (!cfg.prices.enabled) {
    log::notice("prices: disabled in the config; planning on PV only");
    return true;
  }
  try {
    p.prices = std::make_unique<PriceInput>(cfg, wall_ms);
  } catch (const std::exception& e) {
    log::error("prices: {}", e.what());
    return false;
  }
  p.prices->start();
  p.app->add_input(*p.prices);
  return true;
}

// Settings changed at run time (from Home Assistant) that lie over the config, and the MQTT link that
// changes them, replans and passes charger buttons on.
bool start_settings_and_mqtt(Parts& p, const config::Config& cfg, ControlLoop& loop) {
  PlanOptions planning;
  planning.start_penalty_dkk = cfg.control.start_penalty_dkk;
  planning.min_charge_block_min = cfg.control.min_charge_block_min;
  p.planner = std::make_unique<PlanRunner>(cfg.control.fuse_margin_a, p.app->recorder(), planning);
  try {
    auto db = storage::Database::open(cfg.storage.path);
    p.settings = std::make_unique<RuntimeSettings>(cfg, db, p.app->recorder());
    if (cfg.mqtt.enabled)
      p.mqtt = std::make_unique<MqttIo>(
          cfg, *p.settings, p.app->recorder(), storage::list_setting(db, MqttIo::announced_key),
          [&loop] { loop.nudge(); }, [planner = p.planner.get()] { planner->replan(); },
          [chargers = p.chargers.get()](const std::string& id, const std::string& action) {
            if (!chargers || !chargers->act(id, action))
              log::warning("mqtt: {}: {}: the charger is not on OCPP", log::quoted(id), log::quoted(action));
          });
  } catch (const storage::StorageError& e) {
    log::error("storage: {}", e.what());
    return false;
  }
  return true;
}

// Added last, so that they see the chargers' state: the settings, the forecast, then the planner, which
// reads the need and departure the settings set.
void start_planning(Parts& p, const config::Config& cfg) {
  p.app->add_input(*p.settings);
  p.app->tune([settings = p.settings.get()](ControlParams& c) { settings->tune(c); });
  if (cfg.solar_forecast.service != "none") {
    try {
      p.solar = std::make_unique<forecast::ForecastService>(cfg.solar_forecast, cfg.storage.path, wall_ms);
      p.solar->start();
    } catch (const std::exception& e) {
      log::error("forecast: {}; planning on the last week's production", log::quoted(e.what()));
    }
  }
  p.forecast = std::make_unique<ForecastInput>(cfg.storage.path, p.solar.get());
  p.app->add_input(*p.forecast);
  p.app->add_input(*p.planner);
  p.app->add_observer(*p.planner);
  p.planner->start();
  if (p.mqtt) {
    p.app->add_observer(*p.mqtt);
    p.mqtt->start();
  }
}

// The site around the app: the demo's world first (it rewrites the config's meters), then the history,
// the drivers and the planning. False after logging why hemd cannot start.
bool wire(Parts& p, config::Config& cfg, const DemoWorld& demo, ControlLoop& loop) {
  if (demo.on() && !start_demo_site(p, cfg, demo)) return false;
  if (!open_app(p, cfg, demo)) return false;
  start_meters(p, cfg, demo, loop);
  if (!start_chargers(p, cfg) || !start_prices(p, cfg) || !start_settings_and_mqtt(p, cfg, loop))
    return false;
  start_planning(p, cfg);
  return true;
}

void log_started(const config::Config& cfg, const RunOptions& o) {
  log::notice(
      "hemd {} started: site '{}', fuse {} A x {} phases, {} meter(s), {} charger(s), loop every {} ms{}",
      build::version, cfg.site.name, cfg.site.main_fuse_a, cfg.site.phases, cfg.meters.size(),
      cfg.chargers.size(), cfg.control.interval_ms, o.demo ? fmt::format(", demo x{}", o.speed) : "");
}

// Every charger at its safe current, the history committed, then the parts stopped in an order that lets
// no command reach a part that is gone.
void stop(Parts& p, const ControlLoop& loop) {
  notify::stopping();
  p.app->shutdown();
  // After the chargers' safe current: a battery released first could feed a car still at its old limit.
  if (p.meters) p.meters->release_batteries();
  const auto stats = p.app->recorder().stats();
  const auto ls = loop.stats();
  log::notice(
      "hemd: stopped after {} cycles ({} overran); chargers left at their safe current; {} rows stored",
      ls.ticks, ls.overruns, stats.committed);
  p.mqtt.reset();  // HA sees "offline" now; no command may reach the settings once the app is gone
  p.planner.reset();
  p.app.reset();
}

}  // namespace

int run_daemon(const RunOptions& o) {
  const bool builtin = o.demo && !o.config_given;
  auto cfg = load(builtin ? "(built-in demo config)" : o.config_path, builtin ? demo_config_yaml : "");
  if (!cfg) {
    log::error("hemd: cannot start with an invalid configuration; `hemd --check-config` lists every error");
    return exit_not_configured;
  }
  DemoWorld demo(o.demo, o.speed);
  demo.use_own_database(*cfg);
  if (auto forced = config::log_level_from_string(o.log_level)) cfg->log_level = *forced;
  log::set_level(cfg->log_level);

  Parts parts;
  ServiceStatus service;
  SteadyLoopClock clock;
  // The loop exists before any signal can arrive, so a SIGTERM during start-up is never lost: run() then
  // returns at once and hemd still leaves the chargers at their safe current.
  ControlLoop loop(clock, std::chrono::milliseconds(cfg->control.interval_ms),
                   [&](std::uint64_t) { cycle(parts, demo, service, loop); });
  std::atomic<App*> running_app{nullptr};  // the signal thread sees the app only once it is fully built
  // Blocks the signals before any other thread (the recorder's, the drivers') starts.
  SignalWatcher signals(stop_on_sigterm(loop), reload_on_sighup(o.config_path, builtin, running_app));

  // A battery lock left by a hemd that died (kill -9, power cut) is released before anything else runs.
  for (const auto& failure : release_battery_locks(*cfg)) log::error("modbus: {}", failure);
  if (!wire(parts, *cfg, demo, loop)) return 1;
  running_app = parts.app.get();
  log_started(*cfg, o);
  notify::ready();
  loop.run();
  running_app = nullptr;
  stop(parts, loop);
  return 0;
}

}  // namespace hemd
