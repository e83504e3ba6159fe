#include "sim/register_server.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <modbus.h>
#include <sys/select.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace hemd::modbus {

RegisterServer::RegisterServer(std::string host, int port, int first, int count)
    : host_(std::move(host)),
      port_(port),
      first_(first),
      count_(count),
      mapping_(modbus_mapping_new_start_address(0, 0, 0, 0, static_cast<unsigned>(first), count, 0, 0)) {}

RegisterServer::~RegisterServer() {
  stop();
  if (mapping_) modbus_mapping_free(mapping_);
}

void RegisterServer::start() {
  ctx_ = modbus_new_tcp(host_.c_str(), port_);
  if (ctx_) listen_fd_ = modbus_tcp_listen(ctx_, 8);
  if (!ctx_ || !mapping_ || listen_fd_ < 0) {
    const std::string why = modbus_strerror(errno);
    stop();
    throw std::runtime_error(fmt::format("Modbus server on {}:{}: {}", host_, port_, why));
  }
  sockaddr_in addr{};
  socklen_t len = sizeof addr;
  if (getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) == 0) port_ = ntohs(addr.sin_port);
  // A client that sends half a request is dropped after a second instead of holding the server.
  modbus_set_indication_timeout(ctx_, 1, 0);
  thread_ = std::thread([this] { serve(); });
}

void RegisterServer::stop() {
  stopping_ = true;
  if (thread_.joinable()) thread_.join();
  if (listen_fd_ >= 0) ::close(listen_fd_);
  listen_fd_ = -1;
  if (ctx_) modbus_free(ctx_);
  ctx_ = nullptr;
}

void RegisterServer::write(int address, const std::vector<std::uint16_t>& words) {
  std::lock_guard lock(mutex_);
  if (!mapping_) return;
  for (std::size_t i = 0; i < words.size(); ++i) {
    const int at = address - first_ + static_cast<int>(i);
    if (at >= 0 && at < count_) mapping_->tab_registers[at] = words[i];
  }
}

void RegisterServer::serve() {
  std::vector<int> clients;
  std::uint8_t query[MODBUS_TCP_MAX_ADU_LENGTH];
  while (!stopping_) {
    fd_set readable;
    FD_ZERO(&readable);
    FD_SET(listen_fd_, &readable);
    int top = listen_fd_;
    for (int fd : clients) {
      FD_SET(fd, &readable);
      top = std::max(top, fd);
    }
    timeval wait{0, 200'000};  // how soon stop() is noticed
    if (select(top + 1, &readable, nullptr, nullptr, &wait) <= 0) continue;
    if (FD_ISSET(listen_fd_, &readable)) {
      const int fd = ::accept(listen_fd_, nullptr, nullptr);
      if (fd >= 0 && fd < FD_SETSIZE && clients.size() < 16)
        clients.push_back(fd);
      else if (fd >= 0)
        ::close(fd);
    }
    for (auto it = clients.begin(); it != clients.end();) {
      if (!FD_ISSET(*it, &readable)) {
        ++it;
        continue;
      }
      modbus_set_socket(ctx_, *it);
      const int n = modbus_receive(ctx_, query);
      if (n > 0) {
        std::lock_guard lock(mutex_);
        modbus_reply(ctx_, query, n, mapping_);  // outside the bank: an exception answer, as a device gives
      }
      if (n < 0) {
        ::close(*it);
        it = clients.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (int fd : clients) ::close(fd);
}

namespace {

constexpr int base = 40000;
constexpr int common_length = 66;
constexpr int inverter_length = 50;  // model 103
constexpr int meter_length = 105;    // model 203
constexpr std::uint16_t not_implemented = 0x8000;

void put_text(std::vector<std::uint16_t>& regs, std::size_t at, std::size_t words, const std::string& s) {
  for (std::size_t i = 0; i < words; ++i) {
    const char hi = 2 * i < s.size() ? s[2 * i] : '\0';
    const char lo = 2 * i + 1 < s.size() ? s[2 * i + 1] : '\0';
    regs[at + i] =
        static_cast<std::uint16_t>(static_cast<unsigned char>(hi) << 8 | static_cast<unsigned char>(lo));
  }
}

// An integer point at a fixed scale factor: value / 10^sf, clamped to what the register holds.
std::uint16_t scaled(const std::optional<double>& v, int sf, bool is_signed) {
  if (!v || !std::isfinite(*v)) return is_signed ? not_implemented : 0xFFFF;
  const double raw = std::round(*v / std::pow(10.0, sf));
  if (is_signed)
    return static_cast<std::uint16_t>(static_cast<std::int16_t>(std::clamp(raw, -32767.0, 32767.0)));
  return static_cast<std::uint16_t>(std::clamp(raw, 0.0, 65534.0));
}

void put_acc32(std::vector<std::uint16_t>& regs, std::size_t at, const std::optional<double>& wh) {
  const auto v = static_cast<std::uint32_t>(std::clamp(wh.value_or(0.0), 0.0, 4.0e9));
  regs[at] = static_cast<std::uint16_t>(v >> 16);
  regs[at + 1] = static_cast<std::uint16_t>(v & 0xFFFF);
}

std::uint16_t sf_word(int sf) {
  return static_cast<std::uint16_t>(static_cast<std::int16_t>(sf));
}

}  // namespace

SunSpecServer::SunSpecServer(Kind kind, std::string manufacturer, std::string model, std::string serial,
                             std::string host, int port)
    : kind_(kind), server_(std::move(host), port, base, 2 + 2 + common_length + 2 + meter_length + 2) {
  const int length = kind == Kind::inverter ? inverter_length : meter_length;
  std::vector<std::uint16_t> regs(2 + 2 + common_length + 2 + length + 2, 0);
  regs[0] = 0x5375;  // "SunS"
  regs[1] = 0x6E53;
  regs[2] = 1;
  regs[3] = common_length;
  put_text(regs, 4, 16, manufacturer);
  put_text(regs, 20, 16, model);
  put_text(regs, 44, 8, "1.0");
  put_text(regs, 52, 16, serial);
  regs[68] = 1;  // device address
  const std::size_t header = 4 + common_length;
  regs[header] = kind == Kind::inverter ? 103 : 203;
  regs[header + 1] = static_cast<std::uint16_t>(length);
  regs[header + 2 + length] = 0xFFFF;  // end of the chain
  regs[header + 2 + length + 1] = 0;
  model_address_ = base + static_cast<int>(header) + 2;
  server_.write(base, regs);
}

void SunSpecServer::publish(const Values& v) {
  const bool inverter = kind_ == Kind::inverter;
  std::vector<std::uint16_t> m(inverter ? inverter_length : meter_length, not_implemented);
  double total = 0;
  for (int ph = 0; ph < 3; ++ph) total += v.current_a[ph].value_or(0.0);
  // Currents in 0.01 A, voltages in 0.1 V, power in W, energy in Wh.
  if (inverter) {
    m[0] = scaled(total, -2, false);
    for (int ph = 0; ph < 3; ++ph) {
      m[1 + ph] = scaled(v.current_a[ph], -2, false);
      m[8 + ph] = scaled(v.voltage_v[ph], -1, false);
    }
    m[4] = sf_word(-2);
    m[11] = sf_word(-1);
    m[12] = scaled(v.power_w, 0, true);
    m[13] = sf_word(0);
    put_acc32(m, 22, v.energy_export_wh);
    m[24] = sf_word(0);
    m[38] = v.power_w.value_or(0) > 0 ? 4 : 2;  // operating state: MPPT or sleeping
  } else {
    m[0] = scaled(total, -2, true);
    for (int ph = 0; ph < 3; ++ph) {
      m[1 + ph] = scaled(v.current_a[ph], -2, true);
      m[6 + ph] = scaled(v.voltage_v[ph], -1, true);
    }
    m[4] = sf_word(-2);
    m[13] = sf_word(-1);
    m[16] = scaled(v.power_w, 0, true);
    m[20] = sf_word(0);
    put_acc32(m, 36, v.energy_export_wh);
    put_acc32(m, 44, v.energy_import_wh);
    m[52] = sf_word(0);
  }
  server_.write(model_address_, m);
}

}  // namespace hemd::modbus
