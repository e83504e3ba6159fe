#pragma once
// Polls the devices on one connection in turn, on a thread of its own, and keeps each device's latest
// values. The control loop only copies them out: a slow or dead device never stalls it.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "drivers/modbus/battery_lock.h"
#include "drivers/modbus/connection.h"
#include "drivers/modbus/register_map.h"
#include "drivers/modbus/sunspec.h"
#include "strategies/plausibility.h"

namespace hemd::modbus {

struct DeviceSpec {
  std::string name;
  int unit = 1;
  std::string device = "sunspec";  // "sunspec", or the name or path of a register map
  std::optional<RegisterMap> map;  // loaded from `device` unless it is sunspec
  std::chrono::milliseconds timeout{500};
  double max_abs_power_w = 1e6;  // anything beyond is physically impossible on this site
  double counter_speed = 1;      // its energy counters run this many times faster than the clock (the demo)
  bool meter = false;            // a grid meter: in a SunSpec chain, take the meter model
  bool battery = false;          // a home battery: in a SunSpec chain, take the storage models
  // A battery hemd may lock: what its map says to write, and the site's values for it. Unset: never written.
  std::optional<DischargeLock> lock{};
  LockSite lock_site{};
};

struct DeviceState {
  Values values;
  std::int64_t at_ms = 0;  // wall time of the last good read; 0 = never
  std::string error;       // the last failure, empty while the device answers
  std::string identity;    // what it said it is (SunSpec common model) or its map
  int failures = 0;        // consecutive
  bool held = false;       // a battery whose discharge lock hemd has written and renews
};

class Poller {
 public:
  using WallClock = std::function<std::int64_t()>;
  Poller(Endpoint endpoint, std::vector<DeviceSpec> devices, std::chrono::milliseconds interval,
         WallClock clock = nullptr);
  ~Poller();
  Poller(const Poller&) = delete;
  Poller& operator=(const Poller&) = delete;

  // Called on the polling thread after each good read of a device, with its previous and new values.
  using Listener = std::function<void(const std::string& device, const Values& before, const Values& now)>;
  void on_reading(Listener l) { listener_ = std::move(l); }  // before start()
  void start();                                              // polling thread
  void poll_once();
  std::optional<DeviceState> state(const std::string& name) const;
  // Batteries with a lock: hold (written, and renewed every third of the revert timeout) or release. Carried
  // out on the polling thread, on the connection it owns.
  void hold_batteries(bool hold) { hold_ = hold; }
  // Stops polling and writes every lock's release at once, on the caller's thread: the last thing before
  // hemd exits. Returns the failures, one line each.
  std::vector<std::string> release_now();
  const Endpoint& endpoint() const { return connection_.endpoint(); }

 private:
  struct Device {
    DeviceSpec spec;
    std::optional<sunspec::Layout> layout;
    std::vector<Block> blocks;
    CounterWatch imported, exported, charged,
        discharged;  // energy counters: an outlier is dropped, not the device
    bool held = false;
    std::chrono::steady_clock::time_point written{};  // the hold's last write
    std::string lock_error;                           // the last failed lock write, for logging it once
  };
  std::optional<Values> read(Device& d, std::string& error);
  bool plausible(const Device& d, const Values& v, std::string& why) const;
  void check_counters(Device& d, Values& v);
  void steer_lock(Device& d);
  void stop();
  void run();

  Connection connection_;
  std::vector<Device> devices_;
  std::chrono::milliseconds interval_;
  WallClock clock_;
  Listener listener_;
  mutable std::mutex mutex_;
  std::map<std::string, DeviceState> states_;
  std::string failed_;  // what the last poll threw, for logging it once
  std::atomic<bool> stop_{false};
  std::atomic<bool> hold_{false};
  std::mutex wait_mutex_;
  std::condition_variable wake_;
  std::thread thread_;
};

}  // namespace hemd::modbus
