// docs/configuration.md, written from the keys' declarations (config/keys.cpp). A unit test fails when the
// checked-in file differs from what this writes.
#include <fmt/format.h>

#include "config/schema.h"

namespace hemd::config {

namespace {

const char* const header = R"(# Configuration reference

<!-- Generated from config/keys.cpp: do not edit by hand. Regenerate with
     cmake --build build --target configuration_md -->

hemd reads one YAML file, `/etc/hemd/hemd.yaml` by default (`--config FILE`). Every key is optional unless
marked **required**. Unknown keys are errors (with a "did you mean"), and every error names the file, line,
column and key, and what is expected. `hemd --check-config` lists every error at once, or prints the resolved
configuration with the defaults filled in and the secrets masked.

Any text value may use `${NAME}` or `${NAME:-default}` to take it from the environment; keep secrets there (the
systemd unit reads `/etc/hemd/hemd.env`). Commented examples are in `config/examples/`: a single house with PV
(`house-pv.yaml`), a housing association with six chargers (`housing-association.yaml`) and the demo
(`demo.yaml`).

## Adding a key

Each key is declared once, and loading, validation, `--check-config`'s output and this page follow from it:

1. Add the field, with its default, to its section's struct in `config/config.h`.
2. Declare it with one line in that section's function in `config/keys.cpp`: `number`, `integer`, `text`,
   `secret`, `flag`, `choice`, `text_list` or `optional_number`; `mapping`, `group` or `list` for a section of
   its own. Add `.needed()` when it is required and `.check(...)` for a rule that names it in its error.
3. Regenerate this page: `cmake --build build --target configuration_md`. The `unit_config` test
   `ConfigReference.DocsAreCurrent` fails until the page matches the declarations.

The daemon then reads the value from `config::Config`.

## Keys
)";

std::string cell(const std::string& text) {
  std::string out;
  for (char c : text) out += c == '|' ? std::string("\\|") : std::string(1, c);
  return out;
}

}  // namespace

std::string reference_markdown() {
  std::string out = header;
  for (const auto& key : schema::config_file().keys) {
    const bool is_list = key.type == "list";
    out += fmt::format("\n### `{}`{}\n\n", key.name, is_list ? " (list)" : "");
    if (!key.inner.empty()) out += cell(key.meaning) + "\n\n";
    out += "| key | type | default | meaning |\n|---|---|---|---|\n";
    std::vector<schema::KeyDoc> rows = key.inner;
    const std::string prefix = key.name + (is_list ? "[]." : ".");
    if (rows.empty()) rows.push_back({key.name, key.type, key.fallback, key.meaning});
    for (auto& row : rows) {
      if (row.name.rfind(prefix, 0) == 0) row.name = row.name.substr(prefix.size());
      out += fmt::format("| `{}` | {} | {} | {} |\n", row.name, cell(row.type), cell(row.fallback),
                         cell(row.meaning));
    }
  }
  return out;
}

}  // namespace hemd::config
