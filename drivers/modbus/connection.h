#pragma once
// One Modbus TCP connection or RS-485 bus (libmodbus). Requests on it are serialised by its owner (one
// poller thread); a lost link is re-opened with exponential back-off so a dead device costs no time.
#include <modbus.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace hemd::modbus {

struct Endpoint {
  std::string host;  // TCP when set
  int port = 502;
  std::string serial_device;  // RTU when set
  int baud = 9600;
  char parity = 'N';
  int data_bits = 8;
  int stop_bits = 1;
  std::string describe() const;
  bool operator<(const Endpoint& o) const { return describe() < o.describe(); }
};

class Connection {
 public:
  using Clock = std::chrono::steady_clock;
  Connection(Endpoint e, std::chrono::milliseconds timeout);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // nullopt with `error` set on failure. Never blocks longer than the timeout (plus connect time, once).
  std::optional<std::vector<std::uint16_t>> read(int unit, bool input, int address, int count,
                                                 std::string& error);
  // Writes holding registers with function 16 (write multiple), which every device here takes, even for one
  // register (Huawei refuses function 6 on 32-bit values). False with `error` set on failure.
  bool write(int unit, int address, const std::vector<std::uint16_t>& regs, std::string& error);
  void set_timeout(std::chrono::milliseconds t) { timeout_ = t; }
  const Endpoint& endpoint() const { return endpoint_; }
  bool open() const { return ctx_ != nullptr; }
  std::chrono::milliseconds backoff() const { return backoff_; }

 private:
  bool ensure_open(std::string& error);
  void close();
  Endpoint endpoint_;
  std::chrono::milliseconds timeout_;
  modbus_t* ctx_ = nullptr;
  Clock::time_point retry_at_{};
  std::chrono::milliseconds backoff_{0};
};

}  // namespace hemd::modbus
