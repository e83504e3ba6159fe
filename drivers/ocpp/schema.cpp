#include "drivers/ocpp/schema.h"

#include <malloc.h>

#include <algorithm>
#include <map>
#include <mutex>
#include <set>
#include <valijson/adapters/nlohmann_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validation_results.hpp>
#include <valijson/validator.hpp>

#include "drivers/ocpp/ocpp16_schemas.h"
#include "drivers/ocpp/ocpp201_schemas.h"

namespace hemd::ocpp {

namespace {

// valijson builds a std::regex for every date-time it checks (about 1 ms each); a `pattern` is compiled once
// and kept in the validator's cache. The same check, written as the pattern valijson would use.
constexpr const char* date_time_pattern =
    "^([0-9]+)-(0[1-9]|1[012])-(0[1-9]|[12][0-9]|3[01])[Tt]([01][0-9]|2[0-3]):([0-5][0-9]):([0-5][0-9]|60)"
    "(\\.[0-9]+)?(([Zz])|([\\+|\\-]([01][0-9]|2[0-3]):[0-5][0-9]))$";

void date_times_as_patterns(nlohmann::json& schema) {
  if (schema.is_object()) {
    // (A property may be called "format" too: MeterValues' sampledValue has one.)
    if (const auto f = schema.find("format"); f != schema.end() && f->is_string() && *f == "date-time") {
      schema.erase("format");
      schema["pattern"] = date_time_pattern;
    }
    for (auto& [key, value] : schema.items()) date_times_as_patterns(value);
  } else if (schema.is_array()) {
    for (auto& value : schema) date_times_as_patterns(value);
  }
}

}  // namespace

const char* subprotocol(Version v) {
  return v == Version::v201 ? "ocpp2.0.1" : "ocpp1.6";
}

std::string error_code(Version v, const std::string& code_16) {
  if (v == Version::v16) return code_16;
  if (code_16 == "FormationViolation") return "FormatViolation";
  // 1.6 calls a missing required field an incomplete payload; 2.0.1 an occurrence constraint.
  if (code_16 == "ProtocolError") return "OccurrenceConstraintViolation";
  return code_16;
}

struct Schemas::Impl {
  Version version;
  std::map<std::string, std::unique_ptr<valijson::Schema>> by_id;  // "BootNotification.req"
  std::set<std::string> defined;                                   // every action of the version
  std::mutex mutex;                                                // guards the validator's regex cache
  valijson::Validator validator;
};

Schemas::Schemas(Version v, const std::vector<std::string>& actions) : impl_(std::make_unique<Impl>()) {
  impl_->version = v;
  auto all = nlohmann::json::parse(v == Version::v201 ? ocpp201_schemas_json : ocpp16_schemas_json);
  valijson::SchemaParser parser;
  for (auto& doc : all) {
    std::string id = doc.at("$id").get<std::string>();
    if (id.rfind("urn:", 0) == 0) id = id.substr(4);
    impl_->defined.insert(id.substr(0, id.rfind('.')));
    if (!actions.empty() &&
        std::find(actions.begin(), actions.end(), id.substr(0, id.rfind('.'))) == actions.end())
      continue;
    date_times_as_patterns(doc);
    auto schema = std::make_unique<valijson::Schema>();
    valijson::adapters::NlohmannJsonAdapter adapter(doc);
    parser.populateSchema(adapter, *schema);
    impl_->by_id.emplace(id, std::move(schema));
  }
  all = nullptr;
  // The parsed documents (megabytes for 2.0.1) are gone; give their memory back rather than keep it.
  malloc_trim(0);
}

Schemas::~Schemas() = default;

bool Schemas::defines(const std::string& action) const {
  return impl_->defined.count(action) > 0;
}

bool Schemas::knows(const std::string& action) const {
  return impl_->by_id.count(action + ".req") > 0;
}

std::optional<Violation> Schemas::check(const std::string& action, bool conf,
                                        const nlohmann::json& payload) const {
  auto it = impl_->by_id.find(action + (conf ? ".conf" : ".req"));
  if (it == impl_->by_id.end()) return Violation{"NotImplemented", "unknown action " + action};
  if (!payload.is_object())
    return Violation{error_code(impl_->version, "FormationViolation"), "the payload is not a JSON object"};
  valijson::ValidationResults results;
  valijson::adapters::NlohmannJsonAdapter adapter(payload);
  {
    std::lock_guard lock(impl_->mutex);
    if (impl_->validator.validate(*it->second, adapter, &results)) return std::nullopt;
  }
  // The most specific error, named the way OCPP-J names its error codes. valijson also reports each
  // enclosing object and array ("Failed to validate ..."); those only repeat the leaf error.
  // valijson tests multipleOf in binary floating point (6.0 / 0.1 = 59.999...), so a decimal limit such
  // as 6.0 A would be refused; such a value is a multiple to within rounding, as ajv (the test peers'
  // validator) agrees.
  valijson::ValidationResults::Error e;
  while (results.popError(e)) {
    // The only patterns are the date-times put in above.
    const std::string what = e.description.find("'pattern' constraint") != std::string::npos
                                 ? "String should be a valid date-time"
                                 : e.description;
    if (what.find("multiple of") != std::string::npos || what.rfind("Failed to validate", 0) == 0) continue;
    std::string where;
    for (const auto& c : e.context) where += c;
    std::string code = "PropertyConstraintViolation";
    if (what.find("type") != std::string::npos)
      code = "TypeConstraintViolation";
    else if (what.find("required") != std::string::npos || what.find("Missing") != std::string::npos)
      code = "ProtocolError";  // OCPP 1.6: "Payload for Action is incomplete"
    else if (what.find("additional") != std::string::npos ||
             what.find("could not be validated") != std::string::npos)
      code = "FormationViolation";
    return Violation{error_code(impl_->version, code),
                     action + (conf ? ".conf " : ".req ") + where + ": " + what};
  }
  return std::nullopt;  // nothing but multipleOf rounding
}

}  // namespace hemd::ocpp
