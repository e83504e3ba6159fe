#pragma once
// Every incoming OCPP payload is checked against the official JSON schema of its action before hemd reads it,
// and every outgoing one before hemd sends it.
#include <nlohmann/json.hpp>

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace hemd::ocpp {

struct Violation {
  std::string code;  // the OCPP-J CALLERROR code
  std::string description;
};

enum class Version { v16, v201 };

// The subprotocol names: "ocpp1.6", "ocpp2.0.1".
const char* subprotocol(Version v);

// A payload's error code as the version spells it (1.6's FormationViolation is 2.0.1's FormatViolation).
std::string error_code(Version v, const std::string& code_16);

class Schemas {
 public:
  // The compiled-in schemas of a version; `actions`, when given, keeps only those (2.0.1's full set is large
  // and most of it concerns what a home does not use).
  explicit Schemas(Version v = Version::v16, const std::vector<std::string>& actions = {});
  ~Schemas();
  bool knows(const std::string& action) const;    // its schema is loaded: hemd takes it
  bool defines(const std::string& action) const;  // the version defines it (loaded or not)
  // nullopt when `payload` is a valid `action` request (conf = false) or response (conf = true).
  std::optional<Violation> check(const std::string& action, bool conf, const nlohmann::json& payload) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace hemd::ocpp
