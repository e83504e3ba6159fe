#pragma once
// Every incoming OCPP payload is checked against the official JSON schema of its action before hemd reads it.
#include <nlohmann/json.hpp>

#include <memory>
#include <optional>
#include <string>

namespace hemd::ocpp {

struct Violation {
  std::string code;  // the OCPP-J CALLERROR code
  std::string description;
};

class Schemas {
 public:
  Schemas();  // the compiled-in OCPP 1.6 set
  ~Schemas();
  bool knows(const std::string& action) const;
  // nullopt when `payload` is a valid `action` request (conf = false) or response (conf = true).
  std::optional<Violation> check(const std::string& action, bool conf, const nlohmann::json& payload) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace hemd::ocpp
