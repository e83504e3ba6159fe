// The OCPP path a charger's bytes take: frame parsing, the schema check, dispatch to the version's dialect
// and the answers hemd's own CALLs get. The first byte picks the version (even: 1.6, odd: 2.0.1), the rest is
// a conversation, one frame a line, on a fresh connection; a line "~" is the charger reconnecting with the
// other version (what hemd remembers of a charger outlives its connections). No frame throws or crashes, and
// everything hemd sends back is a well-formed OCPP-J frame.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "drivers/log/log.h"
#include "drivers/ocpp/central.h"

using namespace hemd::ocpp;

namespace {

// The central system without a socket: what it sends is checked, timers never fire.
ChargerSetup charger() {
  ChargerSetup c;
  c.id = "cp1";
  return c;
}

struct Bench final : Central {
  Bench()
      : Central(
            CsmsOptions{}, {charger()}, hemd::config::ProfileSet{}, nullptr,
            [] { return std::int64_t{1'700'000'000'000}; }, nullptr) {}
  void send_text(const std::string&, const std::string& text) override {
    // hemd's own frames: JSON, an array, a known message type, never nested deep.
    if (std::holds_alternative<BadFrame>(parse_frame(text))) std::abort();
  }
  void close(const std::string&, const std::string&) override {}
  void after_ms(int, std::function<void()>) override {}
  void post(std::function<void()>) override {}
  void start() override {}
  int port() const override { return 0; }
  void set_limit(const std::string&, double, int) override {}
  bool act(const std::string&, Csms::Action) override { return true; }
  void stop() override {}
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  static Bench central = [] {
    hemd::log::set_level(hemd::log::Level::error);  // a warning per bad frame would slow the fuzzer down
    return Bench{};
  }();
  const Version version = data[0] % 2 ? Version::v201 : Version::v16;
  const std::string rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  central.opened("cp1", version);
  central.session("cp1").next_id = 1;  // hemd's CALLs are hemd-1, hemd-2... in every run, as in the seeds
  try {
    for (std::size_t at = 0; at <= rest.size();) {
      const auto end = std::min(rest.find('\n', at), rest.size());
      const std::string line = rest.substr(at, end - at);
      if (line == "~") {
        central.closed("cp1");
        central.opened("cp1", central.session("cp1").version == Version::v16 ? Version::v201 : Version::v16);
      } else {
        central.received("cp1", line);
      }
      at = end + 1;
    }
  } catch (...) {
    std::abort();  // the boundary would catch it; the path itself must not throw
  }
  central.closed("cp1");
  return 0;
}
