#pragma once
// Reads one YAML mapping at a time, records every key it was asked for, and turns whatever is wrong into an
// Error with file, line, column, key path, what was found and what was expected. Unknown keys are reported
// by finish() with a "did you mean" drawn from the keys that were asked for.
#include <yaml-cpp/yaml.h>

#include <functional>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "config/config.h"

namespace hemd::config {

class Reader {
 public:
  Reader(std::string file, std::vector<Error>& errors) : file_(std::move(file)), errors_(errors) {}
  void error(const YAML::Mark& mark, const std::string& key, const std::string& message);
  // The document in `text`, or nullopt after reporting where it stops being YAML.
  std::optional<YAML::Node> parse(const std::string& text);
  const std::string& file() const { return file_; }
  // Every key path the schema asked for, list indices dropped ("chargers.max_current_a").
  void asked(const std::string& path);
  const std::vector<std::string>& keys() const { return keys_; }
  void found(const std::string& path, const YAML::Mark& mark) {
    positions_[path] = {mark.line + 1, mark.column + 1};
  }
  const std::map<std::string, std::pair<int, int>>& positions() const { return positions_; }

 private:
  std::string file_;
  std::vector<Error>& errors_;
  std::vector<std::string> keys_;
  std::map<std::string, std::pair<int, int>> positions_;
};

class MapReader {
 public:
  MapReader(Reader& r, YAML::Node node, std::string path, YAML::Mark parent_mark);
  ~MapReader();  // reports unknown keys
  MapReader(const MapReader&) = delete;
  MapReader& operator=(const MapReader&) = delete;

  bool has(const std::string& key);
  // True when the key is there; otherwise reports it missing, "expected " + `expected`.
  bool require(const std::string& key, const std::string& expected);
  // Present but not a mapping (already reported): rules about its keys have nothing to say.
  bool broken() const { return broken_; }
  void number(const std::string& key, double& out, double min, double max, const char* unit,
              bool required = false);
  void integer(const std::string& key, int& out, int min, int max, bool required = false);
  void text(const std::string& key, std::string& out, bool required = false);
  void choice(const std::string& key, std::string& out, const std::vector<std::string>& allowed,
              bool required = false);
  // The same for a value of any type, each allowed value with its name.
  template <typename T>
  void choice(const std::string& key, T& out, const std::vector<std::pair<std::string, T>>& allowed,
              bool required = false) {
    std::vector<std::string> names;
    std::string chosen;
    for (const auto& [name, value] : allowed) {
      names.push_back(name);
      if (value == out) chosen = name;
    }
    choice(key, chosen, names, required);
    for (const auto& [name, value] : allowed)
      if (name == chosen) out = value;
  }
  void boolean(const std::string& key, bool& out);
  void text_list(const std::string& key, std::vector<std::string>& out);
  // False when some element was not a number in range (reported).
  bool number_list(const std::string& key, std::vector<double>& out, double min, double max,
                   const char* unit);
  void map(const std::string& key, const std::function<void(MapReader&)>& each);
  void list(const std::string& key, const std::function<void(MapReader&, int index)>& each);

  std::string path(const std::string& key) const;
  YAML::Mark mark(const std::string& key) const;  // the key's value, or the map itself when absent
  YAML::Mark mark() const { return mark_; }
  Reader& reader() { return r_; }

 private:
  YAML::Node get(const std::string& key);
  bool scalar(const std::string& key, const YAML::Node& n, const std::string& expected);
  bool present(const std::string& key, const YAML::Node& n, bool required, const std::string& expected);
  std::optional<double> parse_number(const std::string& key, const YAML::Node& n, bool whole, double min,
                                     double max, const std::string& expected);

  Reader& r_;
  YAML::Node node_;
  std::string path_;
  YAML::Mark mark_;
  std::vector<std::string> known_;
  bool valid_ = false;
  bool broken_ = false;  // present but not a mapping: already reported, so no "missing" errors inside
};

// The allowed values of a choice: an enum's by their to_string() names, or plain words.
template <typename E>
std::vector<std::pair<std::string, E>> named(std::initializer_list<E> values) {
  std::vector<std::pair<std::string, E>> out;
  for (E v : values) out.emplace_back(to_string(v), v);
  return out;
}
inline std::vector<std::pair<std::string, std::string>> named(std::initializer_list<const char*> values) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const char* v : values) out.emplace_back(v, v);
  return out;
}

// The file's text, or nullopt after an error saying why it cannot be read.
std::optional<std::string> read_text_file(const std::string& path, std::vector<Error>& errors);
// In file order, as an editor would walk them.
void sort_by_place(std::vector<Error>& errors);

// Closest of `candidates` to `word`, or "" when nothing is close enough to be a likely typo.
std::string did_you_mean(const std::string& word, const std::vector<std::string>& candidates);
// Replaces ${NAME} and ${NAME:-default} with the environment; sets `missing` to an unset name.
std::string expand_env(const std::string& text, std::string& missing);

}  // namespace hemd::config
