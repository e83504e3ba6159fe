// Reading hemd.yaml: the keys and their rules are declared in config/keys.cpp; this walks the file with them.
#include "config/reader.h"
#include "config/schema.h"

namespace hemd::config {

const char* to_string(MeterRole r) {
  return r == MeterRole::grid ? "grid" : r == MeterRole::battery ? "battery" : "pv";
}

LoadResult load_string(const std::string& text, const std::string& file) {
  LoadResult result;
  Reader r(file, result.errors);
  const auto parsed = r.parse(text);
  if (!parsed) return result;
  const YAML::Node& root = *parsed;
  if (!root.IsDefined() || root.IsNull()) {
    r.error(YAML::Mark(), "", "the file is empty, expected at least a site: section");
    return result;
  }
  Config c;
  c.file = file;
  {
    MapReader top(r, root, "", root.Mark());
    schema::config_file().read(top, c);
  }  // unknown keys are reported here
  result.keys = r.keys();
  c.positions = r.positions();
  sort_by_place(result.errors);
  if (result.errors.empty()) result.config = std::move(c);
  return result;
}

LoadResult load_file(const std::string& path) {
  LoadResult result;
  const auto text = read_text_file(path, result.errors);
  return text ? load_string(*text, path) : result;
}

}  // namespace hemd::config
