#include "drivers/ocpp/frame.h"

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

}  // namespace hemd::ocpp
