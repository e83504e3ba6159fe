#include "config/reader.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <tuple>

#include "config/escape.h"

namespace hemd::config {

std::string Error::to_string() const {
  return fmt::format("{}:{}:{}: {}: {}", file, line, column, key.empty() ? "(top level)" : key, message);
}

namespace {
// An error is one line, whatever text from the file a check put into it (an id with a newline in it).
std::string one_line(const std::string& text) {
  if (std::none_of(text.begin(), text.end(), [](unsigned char c) { return c < 0x20 || c == 0x7F; }))
    return text;
  std::string out;
  append_escaped(out, text, text.size(), false);
  return out;
}
}  // namespace

void Reader::error(const YAML::Mark& mark, const std::string& key, const std::string& message) {
  errors_.push_back(Error{file_, mark.line + 1, mark.column + 1, one_line(key), one_line(message)});
}

std::optional<YAML::Node> Reader::parse(const std::string& text) {
  try {
    return YAML::Load(text);
  } catch (const YAML::ParserException& e) {
    error(e.mark, "", "not valid YAML: " + e.msg);
    return std::nullopt;
  }
}

void Reader::asked(const std::string& path) {
  std::string plain;
  for (std::size_t i = 0; i < path.size(); ++i) {
    if (path[i] == '[')
      i = path.find(']', i);
    else
      plain += path[i];
  }
  if (std::find(keys_.begin(), keys_.end(), plain) == keys_.end()) keys_.push_back(plain);
}

namespace {

std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diag = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

// A value from the file as it stands in a message: in single quotes, escaped and cut like any outside text,
// so a key or value holding a newline or a megabyte cannot break or flood the log.
std::string shown(const std::string& text) {
  return quoted_text(text, 60, '\'', '\'');
}

std::string show(const YAML::Node& n) {
  if (n.IsScalar()) return shown(n.Scalar());
  if (n.IsSequence()) return "a list";
  if (n.IsMap()) return "a mapping";
  return "nothing";
}

}  // namespace

std::string did_you_mean(const std::string& word, const std::vector<std::string>& candidates) {
  std::string best;
  std::size_t best_d = std::max<std::size_t>(2, word.size() / 3) + 1;
  for (const auto& c : candidates) {
    const std::size_t d = edit_distance(word, c);
    if (d < best_d) best = c, best_d = d;
  }
  return best;
}

std::string expand_env(const std::string& text, std::string& missing) {
  std::string out;
  std::size_t i = 0;
  while (i < text.size()) {
    const std::size_t open = text.find("${", i);
    const std::size_t close = open == std::string::npos ? open : text.find('}', open);
    if (close == std::string::npos) {
      out += text.substr(i);
      break;
    }
    out += text.substr(i, open - i);
    std::string name = text.substr(open + 2, close - open - 2);
    std::string fallback;
    bool has_fallback = false;
    if (auto d = name.find(":-"); d != std::string::npos) {
      fallback = name.substr(d + 2);
      name = name.substr(0, d);
      has_fallback = true;
    }
    if (const char* v = std::getenv(name.c_str()); v && *v) {
      out += v;
    } else if (has_fallback) {
      out += fallback;
    } else if (missing.empty()) {
      missing = name;
    }
    i = close + 1;
  }
  return out;
}

MapReader::MapReader(Reader& r, YAML::Node node, std::string path, YAML::Mark parent_mark)
    : r_(r), node_(node), path_(std::move(path)), mark_(parent_mark) {
  if (!node_.IsDefined() || node_.IsNull()) return;
  mark_ = node_.Mark();
  if (!node_.IsMap()) {
    r_.error(mark_, path_, fmt::format("found {}, expected a mapping of keys", show(node_)));
    broken_ = true;
    return;
  }
  valid_ = true;
}

MapReader::~MapReader() {
  if (!valid_) return;
  for (auto it = node_.begin(); it != node_.end(); ++it) {
    const std::string key = it->first.Scalar();
    if (std::find(known_.begin(), known_.end(), key) != known_.end()) continue;
    std::string msg = fmt::format("unknown key {}", shown(key));
    if (auto near = did_you_mean(key, known_); !near.empty())
      msg += fmt::format(", did you mean '{}'?", near);
    else
      msg += fmt::format("; expected one of: {}", fmt::join(known_, ", "));
    // The key is the file's text too: one that holds a newline or a megabyte is shown escaped and cut.
    const bool plain = key.size() <= 60 && std::all_of(key.begin(), key.end(),
                                                       [](unsigned char c) { return c >= 0x20 && c < 0x7F; });
    r_.error(it->first.Mark(), path(plain ? key : shown(key)), msg);
  }
}

std::string MapReader::path(const std::string& key) const {
  return path_.empty() ? key : path_ + "." + key;
}

YAML::Node MapReader::get(const std::string& key) {
  if (std::find(known_.begin(), known_.end(), key) == known_.end()) known_.push_back(key);
  r_.asked(path(key));
  if (!valid_) return YAML::Node(YAML::NodeType::Undefined);
  YAML::Node n = node_[key];
  if (n.IsDefined()) r_.found(path(key), n.Mark());
  return n;
}

bool MapReader::has(const std::string& key) {
  const YAML::Node n = get(key);
  return n.IsDefined() && !n.IsNull();
}

bool MapReader::require(const std::string& key, const std::string& expected) {
  return present(key, get(key), true, expected);
}

YAML::Mark MapReader::mark(const std::string& key) const {
  if (valid_) {
    const YAML::Node n = node_[key];
    if (n.IsDefined()) return n.Mark();
  }
  return mark_;
}

bool MapReader::scalar(const std::string& key, const YAML::Node& n, const std::string& expected) {
  if (n.IsScalar()) return true;
  r_.error(n.Mark(), path(key), fmt::format("found {}, expected {}", show(n), expected));
  return false;
}

// Whole-token parse: "16A" or "1e" is an error, not 16.
std::optional<double> MapReader::parse_number(const std::string& key, const YAML::Node& n, bool whole,
                                              double min, double max, const std::string& expected) {
  if (!scalar(key, n, expected)) return std::nullopt;
  double v = 0;
  try {
    std::size_t used = 0;
    v = whole ? static_cast<double>(std::stol(n.Scalar(), &used, 0)) : std::stod(n.Scalar(), &used);
    if (used != n.Scalar().size()) throw std::invalid_argument("trailing");
  } catch (const std::exception&) {
    r_.error(n.Mark(), path(key), fmt::format("found {}, expected {}", show(n), expected));
    return std::nullopt;
  }
  if (v < min || v > max) {
    r_.error(n.Mark(), path(key), fmt::format("found {}, expected {}", n.Scalar(), expected));
    return std::nullopt;
  }
  return v;
}

bool MapReader::present(const std::string& key, const YAML::Node& n, bool required,
                        const std::string& expected) {
  if (n.IsDefined() && !n.IsNull()) return true;
  if (required && !broken_) r_.error(mark_, path(key), "missing, expected " + expected);
  return false;
}

void MapReader::number(const std::string& key, double& out, double min, double max, const char* unit,
                       bool required) {
  const YAML::Node n = get(key);
  const std::string expected = fmt::format("a number in {} from {} to {}", unit, min, max);
  if (!present(key, n, required, expected)) return;
  if (auto v = parse_number(key, n, false, min, max, expected)) out = *v;
}

void MapReader::integer(const std::string& key, int& out, int min, int max, bool required) {
  const YAML::Node n = get(key);
  const std::string expected = fmt::format("a whole number from {} to {}", min, max);
  if (!present(key, n, required, expected)) return;
  if (auto v = parse_number(key, n, true, min, max, expected)) out = static_cast<int>(*v);
}

void MapReader::text(const std::string& key, std::string& out, bool required) {
  const YAML::Node n = get(key);
  if (!present(key, n, required, "a text value")) return;
  if (!scalar(key, n, "a text value")) return;
  std::string missing;
  std::string v = expand_env(n.Scalar(), missing);
  if (!missing.empty()) {
    r_.error(n.Mark(), path(key),
             fmt::format("environment variable {} is not set, expected it to hold the value", missing));
    return;
  }
  if (required && v.empty()) {
    r_.error(n.Mark(), path(key), "found an empty value, expected a text value");
    return;
  }
  out = v;
}

void MapReader::choice(const std::string& key, std::string& out, const std::vector<std::string>& allowed,
                       bool required) {
  const YAML::Node n = get(key);
  const std::string expected = fmt::format("one of: {}", fmt::join(allowed, ", "));
  if (!present(key, n, required, expected)) return;
  if (!scalar(key, n, expected)) return;
  if (std::find(allowed.begin(), allowed.end(), n.Scalar()) == allowed.end()) {
    std::string msg = fmt::format("found {}, expected {}", show(n), expected);
    if (auto near = did_you_mean(n.Scalar(), allowed); !near.empty())
      msg += fmt::format(" (did you mean '{}'?)", near);
    r_.error(n.Mark(), path(key), msg);
    return;
  }
  out = n.Scalar();
}

void MapReader::boolean(const std::string& key, bool& out) {
  const YAML::Node n = get(key);
  if (!n.IsDefined() || n.IsNull()) return;
  if (!scalar(key, n, "true or false")) return;
  bool v = false;
  if (!YAML::convert<bool>::decode(n, v)) {
    r_.error(n.Mark(), path(key), fmt::format("found {}, expected true or false", show(n)));
    return;
  }
  out = v;
}

void MapReader::text_list(const std::string& key, std::vector<std::string>& out) {
  const YAML::Node n = get(key);
  if (!n.IsDefined() || n.IsNull()) return;
  if (!n.IsSequence()) {
    r_.error(n.Mark(), path(key), fmt::format("found {}, expected a list of text values", show(n)));
    return;
  }
  out.clear();
  for (std::size_t i = 0; i < n.size(); ++i) {
    if (!n[i].IsScalar()) {
      r_.error(n[i].Mark(), fmt::format("{}[{}]", path(key), i),
               fmt::format("found {}, expected a text value", show(n[i])));
      continue;
    }
    out.push_back(n[i].Scalar());
  }
}

bool MapReader::number_list(const std::string& key, std::vector<double>& out, double min, double max,
                            const char* unit) {
  const YAML::Node n = get(key);
  if (!n.IsDefined() || n.IsNull()) return true;
  const std::string expected = fmt::format("a number in {} from {} to {}", unit, min, max);
  if (!n.IsSequence()) {
    r_.error(n.Mark(), path(key), fmt::format("found {}, expected a list of numbers in {}", show(n), unit));
    return false;
  }
  out.clear();
  bool all = true;
  for (std::size_t i = 0; i < n.size(); ++i) {
    const auto v = parse_number(fmt::format("{}[{}]", key, i), n[i], false, min, max, expected);
    if (v) out.push_back(*v);
    all = all && v;
  }
  return all;
}

void MapReader::map(const std::string& key, const std::function<void(MapReader&)>& each) {
  const YAML::Node n = get(key);
  if (!n.IsDefined() || n.IsNull()) return;  // an absent section keeps its defaults
  MapReader child(r_, n, path(key), mark(key));
  each(child);
}

void MapReader::list(const std::string& key, const std::function<void(MapReader&, int)>& each) {
  const YAML::Node n = get(key);
  if (!n.IsDefined() || n.IsNull()) return;
  if (!n.IsSequence()) {
    r_.error(n.Mark(), path(key), fmt::format("found {}, expected a list", show(n)));
    return;
  }
  for (std::size_t i = 0; i < n.size(); ++i) {
    MapReader item(r_, n[i], fmt::format("{}[{}]", path(key), i), n[i].Mark());
    each(item, static_cast<int>(i));
  }
}

std::optional<std::string> read_text_file(const std::string& path, std::vector<Error>& errors) {
  std::ifstream in(path);
  if (!in) {
    errors.push_back(Error{path, 0, 0, "", "cannot open the file: " + std::string(std::strerror(errno))});
    return std::nullopt;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void sort_by_place(std::vector<Error>& errors) {
  std::stable_sort(errors.begin(), errors.end(), [](const Error& a, const Error& b) {
    return std::tie(a.line, a.column) < std::tie(b.line, b.column);
  });
}

}  // namespace hemd::config
