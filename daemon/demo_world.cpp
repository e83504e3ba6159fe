#include "daemon/demo_world.h"

#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <tuple>

#include "drivers/log/log.h"
#include "drivers/log/wall_clock.h"

namespace hemd {

namespace {

std::string clock_text(TimeMs t) {
  const std::time_t secs = t / 1000;
  std::tm tm{};
  localtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%H:%M:%S", &tm);
  return buf;
}

}  // namespace

DemoWorld::DemoWorld(bool demo, double speed) : demo_(demo), speed_(speed) {
  if (!demo_) return;
  char tmpl[] = "/tmp/hemd-demo-XXXXXX";
  if (char* dir = mkdtemp(tmpl)) database_ = std::string(dir) + "/hemd.db";
}

DemoWorld::~DemoWorld() {
  if (database_.empty()) return;
  for (const char* suffix : {"", "-wal", "-shm"}) std::remove((database_ + suffix).c_str());
  ::rmdir(database_.substr(0, database_.rfind('/')).c_str());
}

void DemoWorld::use_own_database(config::Config& cfg) const {
  if (demo_) cfg.storage.path = database_;
}

// The demo's devices are real protocol servers on loopback; the config is pointed at them, so hemd reads
// and steers them through the same drivers as a real site.
std::unique_ptr<SimulatedSite> DemoWorld::start_site(config::Config& cfg) const {
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
  for (const auto& [name, role, port] :
       {std::tuple{"inverter", config::MeterRole::pv, sim->inverter_port()},
        std::tuple{"grid meter", config::MeterRole::grid, sim->meter_port()}}) {
    config::Meter m;
    m.name = name;
    m.role = role;
    m.device = "sunspec";
    m.transport = "tcp";
    m.host = "127.0.0.1";
    m.port = port;
    m.poll_ms = m.role == config::MeterRole::grid ? 500 : 1000;
    cfg.meters.push_back(m);
  }
  cfg.ocpp.enabled = true;
  cfg.ocpp.listen_address = "127.0.0.1";
  cfg.ocpp.port = 0;  // any free port: a demo never collides with a real hemd on 8887
  log::notice("demo: simulated inverter on modbus://127.0.0.1:{}, grid meter on modbus://127.0.0.1:{}",
              sim->inverter_port(), sim->meter_port());
  return sim;
}

TimeMs DemoWorld::now() {
  const TimeMs w = wall_ms();
  if (!demo_) return w;
  if (first_cycle_wall_ == 0) first_cycle_wall_ = w;
  const TimeMs demo_start = first_cycle_wall_ - first_cycle_wall_ % 86400000 + 7 * 3600000;
  return demo_start + static_cast<TimeMs>((w - first_cycle_wall_) * speed_);
}

void DemoWorld::show(TimeMs t, const std::string& status_line) const {
  if (!demo_) return;
  std::printf("%s  %s\n", clock_text(t).c_str(), status_line.c_str());
  std::fflush(stdout);
}

}  // namespace hemd
