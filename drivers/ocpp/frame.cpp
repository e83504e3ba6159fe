#include "drivers/ocpp/frame.h"

#include <fmt/format.h>

#include <cstdio>
#include <ctime>

namespace hemd::ocpp {

Frame parse_frame(const std::string& text) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    return BadFrame{"-1", "FormationViolation", std::string("not JSON: ") + e.what()};
  }
  if (!j.is_array() || j.size() < 3 || !j[0].is_number_integer())
    return BadFrame{"-1", "FormationViolation", "expected [MessageTypeId, UniqueId, ...]"};
  if (!j[1].is_string() || j[1].get<std::string>().empty() || j[1].get<std::string>().size() > 36)
    return BadFrame{"-1", "FormationViolation", "the UniqueId must be a string of at most 36 characters"};
  const std::string id = j[1];
  switch (j[0].get<int>()) {
    case 2:
      if (j.size() != 4 || !j[2].is_string())
        return BadFrame{id, "FormationViolation", "a CALL is [2, UniqueId, Action, Payload]"};
      return Call{id, j[2], j[3]};
    case 3:
      if (j.size() != 3) return BadFrame{id, "FormationViolation", "a CALLRESULT is [3, UniqueId, Payload]"};
      return CallResult{id, j[2]};
    case 4:
      if (j.size() < 4 || !j[2].is_string()) return BadFrame{id, "FormationViolation", "malformed CALLERROR"};
      return CallError{id, j[2], j[3].is_string() ? j[3].get<std::string>() : ""};
    default:
      return BadFrame{id, "ProtocolError", "unknown MessageTypeId " + j[0].dump()};
  }
}

std::string call_frame(const std::string& id, const std::string& action, const nlohmann::json& payload) {
  return nlohmann::json::array({2, id, action, payload}).dump();
}

std::string result_frame(const std::string& id, const nlohmann::json& payload) {
  return nlohmann::json::array({3, id, payload}).dump();
}

std::string error_frame(const std::string& id, const std::string& code, const std::string& description) {
  return nlohmann::json::array({4, id, code, description, nlohmann::json::object()}).dump();
}

std::string iso_time(std::int64_t ms) {
  const std::time_t s = ms / 1000;
  std::tm tm{};
  gmtime_r(&s, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  return fmt::format("{}.{:03}Z", buf, ms % 1000);
}

std::optional<std::int64_t> parse_iso_time(const std::string& text) {
  std::tm tm{};
  int used = 0;
  if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                  &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &used) != 6)
    return std::nullopt;
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  std::int64_t ms = static_cast<std::int64_t>(timegm(&tm)) * 1000;
  std::size_t at = static_cast<std::size_t>(used);
  if (at < text.size() && text[at] == '.') {
    double scale = 100;
    for (++at; at < text.size() && text[at] >= '0' && text[at] <= '9'; ++at, scale /= 10)
      ms += static_cast<std::int64_t>((text[at] - '0') * scale);
  }
  if (at < text.size() && (text[at] == '+' || text[at] == '-')) {
    int hours = 0, minutes = 0;
    if (std::sscanf(text.c_str() + at + 1, "%2d:%2d", &hours, &minutes) != 2) return std::nullopt;
    const std::int64_t offset = (hours * 60 + minutes) * 60'000LL;
    ms += text[at] == '+' ? -offset : offset;
  } else if (at < text.size() && text[at] != 'Z') {
    return std::nullopt;
  }
  return ms;
}

}  // namespace hemd::ocpp
