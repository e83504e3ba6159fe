// Commands from the broker: anyone who may publish to hemd/charger/<id>/<control>/set sends any bytes. The
// first byte picks the control (from 0xF0: the site's battery controls and a charger's BootNotification
// text), the rest is the payload. Nothing throws or crashes; what is accepted is
// within the charger's limits, and what hemd makes of it (its refusal, a setting) stays valid UTF-8 that
// HA's state JSON can carry.
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>

#include "drivers/log/log.h"
#include "drivers/mqtt/home_assistant.h"

using namespace hemd::mqtt;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const char* const controls[] = {"mode",      "target_energy", "target_soc", "max_current",
                                         "departure", "start",         "replan",     "restart",
                                         "unlock",    "volume",        "mode/x",     ""};
  if (size == 0) return 0;
  const Topics t;
  if (data[0] >= 0xF0) {
    // The site's battery controls, and a charger's words about itself (BootNotification) on their way to
    // HA's device registry.
    const std::string payload(reinterpret_cast<const char*>(data) + 1, size - 1);
    const auto cmd =
        parse_command(t, t.site_command(data[0] & 1 ? "priority_soc" : "buffer_soc"), payload, {});
    if (!cmd) std::abort();
    if (cmd->error.empty() && !(cmd->number >= 0 && cmd->number <= 100)) std::abort();
    ChargerInfo c{"garage", 6, 16, {"available"}};
    c.vendor = c.model = c.firmware = c.serial = payload;
    const auto device = charger_discovery(t, "home", c, "0.1")["dev"];
    if (device["mf"].get<std::string>().size() > 4 * 50 + 3) std::abort();  // cut, escapes at most 4 bytes
    (void)device.dump();
    return 0;
  }
  const std::string control = controls[data[0] % (sizeof controls / sizeof *controls)];
  const std::string payload(reinterpret_cast<const char*>(data) + 1, size - 1);
  const std::vector<ChargerInfo> chargers = {{"garage", 6, 16, {}}};
  const auto cmd = parse_command(t, t.charger_command("garage", control), payload, chargers);
  if (!cmd) return 0;
  if (cmd->error.empty()) {
    if (!std::isfinite(cmd->number)) std::abort();
    if (cmd->what == "max_current" && (cmd->number < 6 || cmd->number > 16)) std::abort();
    if (cmd->what == "target_soc" && (cmd->number < 0 || cmd->number > 100)) std::abort();
    if (cmd->what == "target_energy" && (cmd->number < 0 || cmd->number > 150)) std::abort();
    if (cmd->what == "departure" && !cmd->text.empty() && cmd->text.size() != 5) std::abort();
    if (cmd->what == "mode" && cmd->text != payload) std::abort();
  }
  // What reaches the log and HA's state: one short line, and JSON that serialises (invalid UTF-8 throws).
  const std::string line = "refused " + hemd::log::quoted(payload, 60) + ": " + cmd->error;
  if (line.size() > 400 || line.find('\n') != std::string::npos) std::abort();
  const nlohmann::json j = {{"last_error", line}, {"text", cmd->text}, {"charger", cmd->charger_id}};
  (void)j.dump();
  return 0;
}
