#include "drivers/ocpp/frame.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <ctime>

namespace hemd::ocpp {

namespace {

// The deepest nesting of arrays and objects in `text`, counted without building anything (strings skipped),
// stopping once it passes `limit`: a frame nested thousands deep would overflow the stack in the parser's
// recursion (and in every copy and destructor after it) before any check on the built value could run.
std::size_t nesting(const std::string& text, std::size_t limit) {
  std::size_t depth = 0, deepest = 0;
  bool in_string = false, escaped = false;
  for (const char ch : text) {
    if (in_string) {
      if (escaped)
        escaped = false;
      else if (ch == '\\')
        escaped = true;
      else if (ch == '"')
        in_string = false;
    } else if (ch == '"') {
      in_string = true;
    } else if (ch == '[' || ch == '{') {
      deepest = std::max(deepest, ++depth);
      if (deepest > limit) break;
    } else if ((ch == ']' || ch == '}') && depth > 0) {
      --depth;
    }
  }
  return deepest;
}

}  // namespace

// No OCPP 1.6 or 2.0.1 message nests deeper than about 8 levels (2.0.1's NotifyEVChargingSchedule with its
// sales tariff is the deepest); 32 leaves room and keeps the recursion shallow.
constexpr std::size_t max_nesting = 32;

std::string dump(const nlohmann::json& j) {
  // A string from outside may hold bytes that are not UTF-8 (a frame may come as a binary message): they are
  // replaced rather than thrown about.
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Frame parse_frame(const std::string& text) {
  if (nesting(text, max_nesting) > max_nesting)
    return BadFrame{"-1", "FormationViolation",
                    fmt::format("nested deeper than {} levels, which no OCPP message needs", max_nesting)};
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    // parse_error (not JSON, bytes that are not UTF-8) and out_of_range (a number such as 1e999).
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
      return BadFrame{id, "ProtocolError", "unknown MessageTypeId " + dump(j[0])};
  }
}

std::string call_frame(const std::string& id, const std::string& action, const nlohmann::json& payload) {
  return dump(nlohmann::json::array({2, id, action, payload}));
}

std::string result_frame(const std::string& id, const nlohmann::json& payload) {
  return dump(nlohmann::json::array({3, id, payload}));
}

std::string error_frame(const std::string& id, const std::string& code, const std::string& description) {
  return dump(nlohmann::json::array({4, id, code, description, nlohmann::json::object()}));
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
