#include "drivers/modbus/connection.h"

#include <fmt/format.h>
#include <cerrno>

namespace hemd::modbus {

namespace {
constexpr std::chrono::milliseconds first_backoff{1000};
constexpr std::chrono::milliseconds max_backoff{30000};
}  // namespace

std::string Endpoint::describe() const {
  if (!host.empty()) return fmt::format("{}:{}", host, port);
  return fmt::format("{} {} {}{}{}", serial_device, baud, data_bits, parity, stop_bits);
}

Connection::Connection(Endpoint e, std::chrono::milliseconds timeout)
    : endpoint_(std::move(e)), timeout_(timeout) {}

Connection::~Connection() {
  close();
}

void Connection::close() {
  if (!ctx_) return;
  modbus_close(ctx_);
  modbus_free(ctx_);
  ctx_ = nullptr;
}

bool Connection::ensure_open(std::string& error) {
  if (ctx_) return true;
  const auto now = Clock::now();
  if (now < retry_at_) {
    // The same text for every wait, so the device's problem is logged once, not once per poll.
    error = fmt::format("{} is down; trying again every {} s at most", endpoint_.describe(),
                        std::chrono::duration_cast<std::chrono::seconds>(max_backoff).count());
    return false;
  }
  ctx_ = endpoint_.host.empty()
             ? modbus_new_rtu(endpoint_.serial_device.c_str(), endpoint_.baud, endpoint_.parity,
                              endpoint_.data_bits, endpoint_.stop_bits)
             : modbus_new_tcp_pi(endpoint_.host.c_str(), std::to_string(endpoint_.port).c_str());
  if (!ctx_) {
    error = fmt::format("{}: {}", endpoint_.describe(), modbus_strerror(errno));
    return false;
  }
  const auto ms = timeout_.count();
  modbus_set_response_timeout(ctx_, static_cast<uint32_t>(ms / 1000),
                              static_cast<uint32_t>(ms % 1000 * 1000));
  if (modbus_connect(ctx_) == -1) {
    error = fmt::format("cannot connect to {}: {}", endpoint_.describe(), modbus_strerror(errno));
    close();
    backoff_ = backoff_.count() == 0 ? first_backoff : std::min(backoff_ * 2, max_backoff);
    retry_at_ = now + backoff_;
    return false;
  }
  backoff_ = std::chrono::milliseconds(0);
  return true;
}

std::optional<std::vector<std::uint16_t>> Connection::read(int unit, bool input, int address, int count,
                                                           std::string& error) {
  if (!ensure_open(error)) return std::nullopt;
  modbus_set_slave(ctx_, unit);
  const auto ms = timeout_.count();
  modbus_set_response_timeout(ctx_, static_cast<uint32_t>(ms / 1000),
                              static_cast<uint32_t>(ms % 1000 * 1000));
  std::vector<std::uint16_t> regs(count);
  const int n = input ? modbus_read_input_registers(ctx_, address, count, regs.data())
                      : modbus_read_registers(ctx_, address, count, regs.data());
  if (n == count) return regs;
  const int err = errno;
  error = fmt::format("{} unit {}: reading {} register(s) at {}: {}", endpoint_.describe(), unit, count,
                      address, n < 0 ? modbus_strerror(err) : "short answer");
  // A Modbus exception is the device's answer: the link is fine. Anything else may have left the stream out
  // of step (a late answer arriving later), so the link is re-opened.
  const bool exception = err > MODBUS_ENOBASE && err < MODBUS_ENOBASE + 20;
  if (!exception) {
    close();
    if (!endpoint_.host.empty()) retry_at_ = Clock::now();  // reconnect at once once; back-off if that fails
  }
  return std::nullopt;
}

bool Connection::write(int unit, int address, const std::vector<std::uint16_t>& regs, std::string& error) {
  if (!ensure_open(error)) return false;
  modbus_set_slave(ctx_, unit);
  const auto ms = timeout_.count();
  modbus_set_response_timeout(ctx_, static_cast<uint32_t>(ms / 1000),
                              static_cast<uint32_t>(ms % 1000 * 1000));
  const int count = static_cast<int>(regs.size());
  const int n = modbus_write_registers(ctx_, address, count, regs.data());
  if (n == count) return true;
  const int err = errno;
  error = fmt::format("{} unit {}: writing {} register(s) at {}: {}", endpoint_.describe(), unit, count,
                      address, n < 0 ? modbus_strerror(err) : "short answer");
  const bool exception = err > MODBUS_ENOBASE && err < MODBUS_ENOBASE + 20;
  if (!exception) {
    close();
    if (!endpoint_.host.empty()) retry_at_ = Clock::now();
  }
  return false;
}

}  // namespace hemd::modbus
