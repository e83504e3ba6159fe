#pragma once
// OCPP-J frames: [2, id, action, payload] CALL, [3, id, payload] CALLRESULT, [4, id, code, text, details].
#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <variant>

namespace hemd::ocpp {

struct Call {
  std::string id;
  std::string action;
  nlohmann::json payload;
};
struct CallResult {
  std::string id;
  nlohmann::json payload;
};
struct CallError {
  std::string id;
  std::string code;
  std::string description;
};
// A frame that could not be read, and the CALLERROR it deserves (id "-1" when even the id is unreadable).
struct BadFrame {
  std::string id;
  std::string code;
  std::string description;
};

using Frame = std::variant<Call, CallResult, CallError, BadFrame>;

// Never throws: JSON nested deeper than any OCPP message needs is refused before it is built.
Frame parse_frame(const std::string& text);
// JSON as text, bytes that are not UTF-8 replaced (never thrown about).
std::string dump(const nlohmann::json& j);
std::string call_frame(const std::string& id, const std::string& action, const nlohmann::json& payload);
std::string result_frame(const std::string& id, const nlohmann::json& payload);
std::string error_frame(const std::string& id, const std::string& code, const std::string& description);

// OCPP's dateTime: "2026-11-26T10:15:00.000Z" for a UTC instant in milliseconds, and back (an offset such as
// +01:00 is honoured; nullopt when it is not a date and time).
std::string iso_time(std::int64_t ms);
std::optional<std::int64_t> parse_iso_time(const std::string& text);

}  // namespace hemd::ocpp
