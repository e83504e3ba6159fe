#include "daemon/run.h"

#include <fmt/format.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <memory>
#include <tuple>

#include "config/charger_profile.h"
#include "config/config.h"
#include "daemon/app.h"
#include "daemon/demo_config.h"
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
#include "daemon/simulated_site.h"
#include "drivers/log/log.h"
#include "drivers/log/wall_clock.h"
#include "drivers/storage/database.h"

namespace hemd {

namespace {

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

std::string clock_text(TimeMs t) {
  const std::time_t secs = t / 1000;
  std::tm tm{};
  localtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%H:%M:%S", &tm);
  return buf;
}

// The demo's devices are real protocol servers on loopback; the config is pointed at them, so hemd reads
// and steers them through the same drivers as a real site.
std::unique_ptr<SimulatedSite> start_simulated_site(config::Config& cfg) {
  SimulatedSiteOptions so;
  if (!cfg.chargers.empty()) {
    so.charger_id = cfg.chargers.front().id;
    so.charger_password = cfg.chargers.front().password;
    so.car_max_a = cfg.chargers.front().max_current_a;
    so.car_phases = cfg.chargers.front().phases;
  }
  so.main_fuse_a = cfg.site.main_fuse_a;
  auto sim = std::make_unique<SimulatedSite>(so);
  cfg.meters.clear();
  for (const auto& [name, role, port] : {std::tuple{"inverter", "pv", sim->inverter_port()},
                                         std::tuple{"grid meter", "grid", sim->meter_port()}}) {
    config::Meter m;
    m.name = name;
    m.role = role;
    m.device = "sunspec";
    m.transport = "tcp";
    m.host = "127.0.0.1";
    m.port = port;
    m.poll_ms = m.role == "grid" ? 500 : 1000;
    cfg.meters.push_back(m);
  }
  cfg.ocpp.enabled = true;
  cfg.ocpp.listen_address = "127.0.0.1";
  cfg.ocpp.port = 0;  // any free port: a demo never collides with a real hemd on 8887
  log::notice("demo: simulated inverter on modbus://127.0.0.1:{}, grid meter on modbus://127.0.0.1:{}",
              sim->inverter_port(), sim->meter_port());
  return sim;
}

}  // namespace

int run_daemon(const RunOptions& o) {
  const bool demo_builtin = o.demo && !o.config_given;
  auto cfg =
      load(demo_builtin ? "(built-in demo config)" : o.config_path, demo_builtin ? demo_config_yaml : "");
  if (!cfg) {
    log::error("hemd: cannot start with an invalid configuration; `hemd --check-config` lists every error");
    return 1;
  }
  std::string demo_db;
  if (o.demo) {
    char tmpl[] = "/tmp/hemd-demo-XXXXXX";
    if (char* dir = mkdtemp(tmpl)) demo_db = std::string(dir) + "/hemd.db";
    cfg->storage.path = demo_db;
  }
  if (auto forced = config::log_level_from_string(o.log_level)) cfg->log_level = *forced;
  log::set_level(static_cast<log::Level>(cfg->log_level));

  // The demo starts at 07:00 today, at its first cycle, and runs `speed` times faster than the wall clock.
  TimeMs first_cycle_wall = 0;
  auto now = [&] {
    const TimeMs w = wall_ms();
    if (!o.demo) return w;
    if (first_cycle_wall == 0) first_cycle_wall = w;
    const TimeMs demo_start = first_cycle_wall - first_cycle_wall % 86400000 + 7 * 3600000;
    return demo_start + static_cast<TimeMs>((w - first_cycle_wall) * o.speed);
  };
  const auto watchdog = notify::watchdog_interval();
  auto last_status = std::chrono::steady_clock::time_point{};

  std::unique_ptr<App> app;
  std::unique_ptr<SimulatedSite> sim;
  SteadyLoopClock clock;
  // The loop exists before any signal can arrive, so a SIGTERM during start-up is never lost: run() then
  // returns at once and hemd still leaves the chargers at their safe current.
  ControlLoop loop(clock, std::chrono::milliseconds(cfg->control.interval_ms), [&](std::uint64_t) {
    const TimeMs t = now();
    if (sim) sim->advance(t);
    app->cycle(t);
    loop.set_period(std::chrono::milliseconds(app->config().control.interval_ms));
    if (o.demo) {
      std::printf("%s  %s\n", clock_text(t).c_str(), app->status_line().c_str());
      std::fflush(stdout);
    }
    if (watchdog.count() > 0) notify::watchdog();
    const auto wall = std::chrono::steady_clock::now();
    if (wall - last_status >= std::chrono::seconds(5)) {
      notify::status(app->status_line());
      last_status = wall;
    }
  });

  // The signal thread sees the app only once it is fully built.
  std::atomic<App*> running_app{nullptr};
  // Blocks the signals before any other thread (the recorder's, the drivers') starts.
  SignalWatcher signals(
      [&] {
        log::notice("hemd: stopping");
        loop.stop();
      },
      [&, path = o.config_path] {
        if (demo_builtin) return log::notice("config: the built-in demo config cannot be reloaded");
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
      });

  if (o.demo) {
    try {
      sim = start_simulated_site(*cfg);
    } catch (const std::exception& e) {
      log::error("demo: {}", e.what());
      return 1;
    }
  }
  try {
    app = std::make_unique<App>(*cfg);
    if (o.demo) app->set_time_scale(o.speed);
  } catch (const storage::StorageError& e) {
    log::error("storage: {}", e.what());
    return 1;
  }

  std::unique_ptr<ModbusInput> meters;
  if (!cfg->meters.empty()) {
    meters = std::make_unique<ModbusInput>(*cfg, nullptr, o.demo ? o.speed : 1.0);
    meters->on_grid_step(0.9 * cfg->site.main_fuse_a, [&loop] { loop.nudge(); });
    meters->start();
    app->add_input(*meters);
  }
  std::unique_ptr<OcppIo> chargers;
  if (cfg->ocpp.enabled && !cfg->chargers.empty()) {
    try {
      std::map<std::string, std::map<std::string, std::string>> knowledge;
      auto db = storage::Database::open(cfg->storage.path);
      for (const auto& row : db.query({"SELECT charger_id, key, value FROM charger_knowledge", {}}))
        if (row[0] && row[1] && row[2]) knowledge[*row[0]][*row[1]] = *row[2];
      chargers = std::make_unique<OcppIo>(*cfg, app->recorder(), std::move(knowledge));
    } catch (const std::exception& e) {
      log::error("ocpp: {}", e.what());
      return 1;
    }
    app->add_input(*chargers);
    app->add_output(*chargers);
    if (sim) sim->connect_charger(fmt::format("ws://127.0.0.1:{}{}", chargers->port(), cfg->ocpp.path));
  }
  std::unique_ptr<PriceInput> prices;
  if (cfg->prices.enabled) {
    try {
      prices = std::make_unique<PriceInput>(*cfg, wall_ms);
    } catch (const std::exception& e) {
      log::error("prices: {}", e.what());
      return 1;
    }
    prices->start();
    app->add_input(*prices);
  } else {
    log::notice("prices: disabled in the config; planning on PV only");
  }
  // Settings changed at run time (from HA) lie over the config; added last so they see the chargers' state.
  std::unique_ptr<RuntimeSettings> settings;
  auto planner = std::make_unique<PlanRunner>(cfg->control.fuse_margin_a, app->recorder());
  std::unique_ptr<MqttIo> mqtt;
  try {
    auto db = storage::Database::open(cfg->storage.path);
    settings = std::make_unique<RuntimeSettings>(*cfg, db, app->recorder());
    if (cfg->mqtt.enabled) {
      std::vector<std::string> announced;
      if (auto list = db.setting(MqttIo::announced_key)) {
        for (std::size_t at = 0; at < list->size();) {
          const auto comma = std::min(list->find(',', at), list->size());
          if (comma > at) announced.push_back(list->substr(at, comma - at));
          at = comma + 1;
        }
      }
      mqtt = std::make_unique<MqttIo>(
          *cfg, *settings, app->recorder(), announced, [&loop] { loop.nudge(); },
          [p = planner.get()] { p->replan(); },
          [c = chargers.get()](const std::string& id, const std::string& action) {
            if (!c || !c->act(id, action))
              log::warning("mqtt: {}: {}: the charger is not on OCPP", log::quoted(id), log::quoted(action));
          });
    }
  } catch (const storage::StorageError& e) {
    log::error("storage: {}", e.what());
    return 1;
  }
  app->add_input(*settings);
  ForecastInput forecast(cfg->storage.path);
  app->add_input(forecast);
  app->add_input(*planner);  // after the settings: it reads the need and departure they set
  app->add_observer(*planner);
  planner->start();
  if (mqtt) {
    app->add_observer(*mqtt);
    mqtt->start();
  }
  if (cfg->meters.empty()) log::warning("site: no meters configured; chargers stay at their safe current");
  running_app = app.get();

  log::notice(
      "hemd {} started: site '{}', fuse {} A x {} phases, {} meter(s), {} charger(s), loop every {} ms{}",
      "0.1.0", cfg->site.name, cfg->site.main_fuse_a, cfg->site.phases, cfg->meters.size(),
      cfg->chargers.size(), cfg->control.interval_ms, o.demo ? fmt::format(", demo x{}", o.speed) : "");
  notify::ready();
  loop.run();

  notify::stopping();
  app->shutdown();
  const auto stats = app->recorder().stats();
  const auto ls = loop.stats();
  log::notice(
      "hemd: stopped after {} cycles ({} overran); chargers left at their safe current; {} rows stored",
      ls.ticks, ls.overruns, stats.committed);
  mqtt.reset();  // HA sees "offline" now; no command may reach the settings once the app is gone
  planner.reset();
  app.reset();
  if (!demo_db.empty()) {
    for (const char* suffix : {"", "-wal", "-shm"}) std::remove((demo_db + suffix).c_str());
    ::rmdir(demo_db.substr(0, demo_db.rfind('/')).c_str());
  }
  return 0;
}

}  // namespace hemd
