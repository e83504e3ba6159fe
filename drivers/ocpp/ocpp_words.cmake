# The OCPP words hemd speaks in C++ (charging profile purposes, rate units, connector statuses, measurands),
# generated from the bundled schemas, so that the enums cannot drift from what the chargers are held to and no
# word is spelt by hand in the driver. Each enum is the union of both versions' words, 1.6's first.
# Called at configure time (CMake's own JSON reader: no other tool is needed to build hemd):
#   ocpp_words(<1.6 schemas json> <2.0.1 schemas json> <output header>)

# The $id of each schema in a file, in order (each string(JSON) call parses the whole file: once here).
function(_ocpp_ids json out_var)
  string(JSON count LENGTH "${json}")
  math(EXPR last "${count} - 1")
  set(ids "")
  foreach(i RANGE ${last})
    string(JSON id GET "${json}" ${i} "$id")
    list(APPEND ids ${id})
  endforeach()
  set(${out_var} ${ids} PARENT_SCOPE)
endfunction()

# The `enum` array at `path` (a list of keys) inside the schema whose $id is `id`, appended to `out_var`.
function(_ocpp_enum json ids id path out_var)
  list(FIND ids ${id} i)
  if(i LESS 0)
    message(FATAL_ERROR "ocpp_words: ${id} not found in the schemas")
  endif()
  string(JSON words GET "${json}" ${i} ${path} enum)
  string(JSON n LENGTH "${words}")
  math(EXPR n_last "${n} - 1")
  set(out ${${out_var}})
  foreach(k RANGE ${n_last})
    string(JSON word GET "${words}" ${k})
    if(NOT word IN_LIST out)
      list(APPEND out ${word})
    endif()
  endforeach()
  set(${out_var} ${out} PARENT_SCOPE)
endfunction()

# One enum class, its words in the schema's spelling, and the two ways between them.
function(_ocpp_emit type table words out_var)
  set(names "")
  set(text "")
  foreach(word ${words})
    string(MAKE_C_IDENTIFIER "${word}" name)
    string(APPEND names "${name}, ")
    string(APPEND text "\"${word}\", ")
  endforeach()
  string(REGEX REPLACE ", $" "" names "${names}")
  string(REGEX REPLACE ", $" "" text "${text}")
  list(LENGTH words n)
  set(${out_var} "${${out_var}}
enum class ${type} { ${names} };
inline constexpr std::array<std::string_view, ${n}> ${table} = {${text}};
inline constexpr std::string_view word(${type} x) { return ${table}[static_cast<std::size_t>(x)]; }
template <>
inline std::optional<${type}> parse<${type}>(std::string_view w) {
  for (std::size_t i = 0; i < ${table}.size(); ++i)
    if (${table}[i] == w) return static_cast<${type}>(i);
  return std::nullopt;
}
" PARENT_SCOPE)
endfunction()

function(ocpp_words v16_file v201_file out_file)
  file(READ ${v16_file} v16)
  file(READ ${v201_file} v201)
  _ocpp_ids("${v16}" v16_ids)
  _ocpp_ids("${v201}" v201_ids)
  set(purposes "")
  _ocpp_enum("${v16}" "${v16_ids}" "urn:ClearChargingProfile.req" "properties;chargingProfilePurpose" purposes)
  _ocpp_enum("${v201}" "${v201_ids}" "urn:ClearChargingProfile.req" "definitions;ChargingProfilePurposeEnumType" purposes)
  set(units "")
  _ocpp_enum("${v16}" "${v16_ids}" "urn:GetCompositeSchedule.req" "properties;chargingRateUnit" units)
  _ocpp_enum("${v201}" "${v201_ids}" "urn:GetCompositeSchedule.req" "definitions;ChargingRateUnitEnumType" units)
  set(statuses "")
  _ocpp_enum("${v16}" "${v16_ids}" "urn:StatusNotification.req" "properties;status" statuses)
  _ocpp_enum("${v201}" "${v201_ids}" "urn:StatusNotification.req" "definitions;ConnectorStatusEnumType" statuses)
  set(measurands "")
  _ocpp_enum("${v16}" "${v16_ids}" "urn:MeterValues.req"
             "properties;meterValue;items;properties;sampledValue;items;properties;measurand" measurands)
  _ocpp_enum("${v201}" "${v201_ids}" "urn:MeterValues.req" "definitions;MeasurandEnumType" measurands)
  set(body "")
  _ocpp_emit(Purpose purposes "${purposes}" body)
  _ocpp_emit(RateUnit rate_units "${units}" body)
  _ocpp_emit(ConnectorStatus connector_statuses "${statuses}" body)
  _ocpp_emit(Measurand measurands "${measurands}" body)
  file(CONFIGURE OUTPUT ${out_file} CONTENT "#pragma once
// Generated from drivers/ocpp/schemas by drivers/ocpp/ocpp_words.cmake; do not edit.
#include <array>
#include <cstddef>
#include <optional>
#include <string_view>

namespace hemd::ocpp {

// The enum value a word of the schemas names; nullopt for a word they do not have.
template <class Enum>
std::optional<Enum> parse(std::string_view word);
${body}
}  // namespace hemd::ocpp
" @ONLY)
endfunction()
