#pragma once
#include <CLI/CLI.hpp>

namespace hemd {

// `hemd cert`: a home CA and a server certificate for OCPP over wss:// (security profile 2).
void add_cert_command(CLI::App& cli);

}  // namespace hemd
