#pragma once
#include <CLI/CLI.hpp>

namespace hemd {

// hemd report [--month YYYY-MM]: from the history in SQLite, energy charged, the PV share, what it cost and
// the saving against charging every car as soon as it arrived.
void add_report_command(CLI::App& cli);

}  // namespace hemd
