#pragma once
// A Modbus TCP server (libmodbus) holding a bank of holding registers, on a thread of its own. It is the
// device side of the protocol: the demo's simulated inverter and grid meter are served by it, so hemd reads
// them through exactly the code that reads real devices.
#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "drivers/modbus/measurement.h"

struct _modbus;
struct _modbus_mapping_t;

namespace hemd::modbus {

class RegisterServer {
 public:
  // Holding registers [first, first + count) on host:port; port 0 takes any free port.
  RegisterServer(std::string host, int port, int first, int count);
  ~RegisterServer();
  RegisterServer(const RegisterServer&) = delete;
  RegisterServer& operator=(const RegisterServer&) = delete;

  void start();  // listens; throws std::runtime_error when it cannot
  void stop();
  int port() const { return port_; }
  // Replaces registers from `address` on; a request never sees half of one write.
  void write(int address, const std::vector<std::uint16_t>& words);

 private:
  void serve();
  std::string host_;
  int port_;
  int first_, count_;
  _modbus* ctx_ = nullptr;
  _modbus_mapping_t* mapping_ = nullptr;
  int listen_fd_ = -1;
  std::mutex mutex_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

// A SunSpec device image: common model, one measurement model (103 inverter or 203 wye meter, integer with
// scale factors), end marker, at base 40000.
class SunSpecServer {
 public:
  enum class Kind { inverter, meter };
  SunSpecServer(Kind kind, std::string manufacturer, std::string model, std::string serial,
                std::string host = "127.0.0.1", int port = 0);
  void start() { server_.start(); }
  void stop() { server_.stop(); }
  int port() const { return server_.port(); }
  // Publishes what the device measures now (SI units; a meter counts import positive).
  void publish(const Values& v);

 private:
  Kind kind_;
  int model_address_ = 0;
  RegisterServer server_;
};

}  // namespace hemd::modbus
