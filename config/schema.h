#pragma once
// The machinery behind "each key declared once": a Key says how one YAML key is read into a field (with its
// range checked and errors reported by config/reader.h), how `--check-config` writes it back and how
// docs/configuration.md describes it; a Section is the keys of one mapping with the rules that relate them.
// The declarations themselves are in config/keys.cpp.
#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "config/reader.h"

namespace hemd::config::schema {

// One row of docs/configuration.md.
struct KeyDoc {
  std::string name;      // "main_fuse_a"; "serial.baud" inside a mapping, "periods[].dkk_kwh" inside a list
  std::string type;      // what may be written: "6 to 250 A per phase", "`tcp` or `rtu`"
  std::string fallback;  // the default as the docs show it, or "**required**"
  std::string meaning;
};

template <typename S>
struct Key {
  std::string name;
  std::string type;
  std::string fallback;
  std::string meaning;
  bool required = false;
  std::string expected;     // for a required mapping or list: what "missing, expected ..." names
  std::string comment;      // written after the value by --check-config
  std::string empty_means;  // a text's word for "not set" ("auto"): read as empty, written for empty
  std::function<void(const Key&, MapReader&, S&)> read;
  std::function<void(const Key&, YAML::Emitter&, const S&)> write;
  std::function<bool(const S&)> written = [](const S&) { return true; };
  std::function<bool(const S&)> empty = [](const S&) { return false; };
  // Rules about this key's value, seen with the whole mapping read: a message blames this key.
  std::vector<std::function<std::string(const S&)>> checks;
  std::vector<KeyDoc> inner;  // a mapping's or a list's own keys, for the docs

  Key needed() && {
    required = true;
    fallback = "**required**";
    return std::move(*this);
  }
  // A required mapping or list, with what its "missing" error says is expected.
  Key needed(std::string what) && {
    expected = std::move(what);
    return std::move(*this).needed();
  }
  Key shown(std::string fallback_text) && {
    fallback = std::move(fallback_text);
    return std::move(*this);
  }
  Key range(std::string type_text) && {
    type = std::move(type_text);
    return std::move(*this);
  }
  Key check(std::function<std::string(const S&)> rule) && {
    checks.push_back(std::move(rule));
    return std::move(*this);
  }
  Key written_if(std::function<bool(const S&)> when) && {
    written = std::move(when);
    return std::move(*this);
  }
  Key omitted_when_empty() && {
    written = [e = empty](const S& s) { return !e(s); };
    return std::move(*this);
  }
  Key note(std::string text) && {
    comment = std::move(text);
    return std::move(*this);
  }
  Key unset_is(std::string word) && {
    empty_means = word;
    fallback = "`" + word + "`";
    return std::move(*this);
  }
};

template <typename S>
struct Section {
  Section(std::vector<Key<S>> declared) : keys(std::move(declared)) {}  // NOLINT: braced lists of keys

  std::vector<Key<S>> keys;
  // Cross-key checks and derived values, after every key is read.
  std::vector<std::function<void(MapReader&, S&)>> rules;

  void read(MapReader& m, S& s) const {
    for (const auto& k : keys) k.read(k, m, s);
    if (m.broken()) return;
    for (const auto& k : keys)
      for (const auto& check : k.checks)
        if (const std::string message = check(s); !message.empty())
          m.reader().error(m.mark(k.name), m.path(k.name), message);
    for (const auto& rule : rules) rule(m, s);
  }

  void write(YAML::Emitter& e, const S& s, bool flow = false) const {
    if (flow) e << YAML::Flow;
    e << YAML::BeginMap;
    for (const auto& k : keys) {
      if (!k.written(s)) continue;
      e << YAML::Key << k.name << YAML::Value;
      k.write(k, e, s);
      if (!k.comment.empty()) e << YAML::Comment(k.comment);
    }
    e << YAML::EndMap;
  }

  std::vector<KeyDoc> docs(const std::string& prefix = "") const {
    std::vector<KeyDoc> rows;
    for (const auto& k : keys) {
      rows.push_back({prefix + k.name, k.type, k.fallback, k.meaning});
      for (const auto& row : k.inner)
        rows.push_back({prefix + row.name, row.type, row.fallback, row.meaning});
    }
    return rows;
  }
};

namespace detail {

inline std::string shown_number(double v) {
  return fmt::format("`{}`", v);
}

template <typename S>
Key<S> key(std::string name, std::string type, std::string fallback, std::string meaning) {
  Key<S> k;
  k.name = std::move(name);
  k.type = std::move(type);
  k.fallback = std::move(fallback);
  k.meaning = std::move(meaning);
  return k;
}

inline std::string one_of(const std::vector<std::string>& names) {
  std::string out;
  for (std::size_t i = 0; i < names.size(); ++i)
    out += (i == 0 ? "" : i + 1 == names.size() ? " or " : ", ") + ("`" + names[i] + "`");
  return out;
}

}  // namespace detail

// A number in [min, max] `unit`.
template <typename S>
Key<S> number(std::string name, double S::*field, double min, double max, std::string unit,
              std::string meaning) {
  auto k = detail::key<S>(name, fmt::format("{} to {} {}", min, max, unit), detail::shown_number(S{}.*field),
                          std::move(meaning));
  k.read = [=](const Key<S>& self, MapReader& m, S& s) {
    m.number(self.name, s.*field, min, max, unit.c_str(), self.required);
  };
  k.write = [=](const Key<S>&, YAML::Emitter& e, const S& s) { e << s.*field; };
  return k;
}

// A number that may be left unset (then something else decides, as the meaning says).
template <typename S>
Key<S> optional_number(std::string name, std::optional<double> S::*field, double min, double max,
                       std::string unit, std::string meaning) {
  auto k = detail::key<S>(name, fmt::format("{} to {} {}", min, max, unit), "—", std::move(meaning));
  k.read = [=](const Key<S>& self, MapReader& m, S& s) {
    if (!m.has(self.name)) return;
    double v = 0;
    m.number(self.name, v, min, max, unit.c_str());
    s.*field = v;
  };
  k.write = [=](const Key<S>&, YAML::Emitter& e, const S& s) { e << *(s.*field); };
  k.empty = [=](const S& s) { return !(s.*field); };
  k.written = [=](const S& s) { return (s.*field).has_value(); };
  return k;
}

template <typename S>
Key<S> integer(std::string name, int S::*field, int min, int max, std::string meaning) {
  auto k = detail::key<S>(name, fmt::format("{} to {}", min, max), fmt::format("`{}`", S{}.*field),
                          std::move(meaning));
  k.read = [=](const Key<S>& self, MapReader& m, S& s) {
    m.integer(self.name, s.*field, min, max, self.required);
  };
  k.write = [=](const Key<S>&, YAML::Emitter& e, const S& s) { e << s.*field; };
  return k;
}

// Text; `${NAME}` and `${NAME:-default}` take it from the environment.
template <typename S>
Key<S> text(std::string name, std::string S::*field, std::string meaning) {
  const std::string fallback = S{}.*field;
  auto k = detail::key<S>(name, "text", fallback.empty() ? "—" : "`" + fallback + "`", std::move(meaning));
  k.read = [=](const Key<S>& self, MapReader& m, S& s) {
    m.text(self.name, s.*field, self.required);
    if (!self.empty_means.empty() && s.*field == self.empty_means) (s.*field).clear();
  };
  k.write = [=](const Key<S>& self, YAML::Emitter& e, const S& s) {
    e << ((s.*field).empty() && !self.empty_means.empty() ? self.empty_means : s.*field);
  };
  k.empty = [=](const S& s) { return (s.*field).empty(); };
  return k;
}

// Text never shown: --check-config writes it masked. Best kept in the environment (`${NAME}`).
template <typename S>
Key<S> secret(std::string name, std::string S::*field, std::string meaning) {
  auto k = text(std::move(name), field, std::move(meaning)).range("text, secret");
  k.write = [=](const Key<S>&, YAML::Emitter& e, const S& s) {
    e << std::string((s.*field).empty() ? "" : "********");
  };
  return k;
}

template <typename S>
Key<S> flag(std::string name, bool S::*field, std::string meaning) {
  auto k = detail::key<S>(name, "`true` or `false`", S{}.*field ? "`true`" : "`false`", std::move(meaning));
  k.read = [=](const Key<S>& self, MapReader& m, S& s) { m.boolean(self.name, s.*field); };
  k.write = [=](const Key<S>&, YAML::Emitter& e, const S& s) { e << s.*field; };
  return k;
}

// One of a few named values.
template <typename S, typename T>
Key<S> choice(std::string name, T S::*field, std::vector<std::pair<std::string, T>> allowed,
              std::string meaning) {
  std::vector<std::string> names;
  std::string fallback = "—";
  for (const auto& [n, v] : allowed) {
    names.push_back(n);
    if (v == S{}.*field) fallback = "`" + n + "`";
  }
  auto k = detail::key<S>(name, detail::one_of(names), fallback, std::move(meaning));
  k.read = [=](const Key<S>& self, MapReader& m, S& s) {
    m.choice(self.name, s.*field, allowed, self.required);
  };
  k.write = [=](const Key<S>&, YAML::Emitter& e, const S& s) {
    for (const auto& [n, v] : allowed)
      if (v == s.*field) e << n;
  };
  return k;
}

template <typename S>
Key<S> text_list(std::string name, std::vector<std::string> S::*field, std::string meaning) {
  auto k = detail::key<S>(name, "list of text", "`[]`", std::move(meaning));
  k.read = [=](const Key<S>& self, MapReader& m, S& s) { m.text_list(self.name, s.*field); };
  k.write = [=](const Key<S>&, YAML::Emitter& e, const S& s) { e << YAML::Flow << s.*field; };
  k.empty = [=](const S& s) { return (s.*field).empty(); };
  return k;
}

namespace detail {

template <typename S, typename T>
Key<S> mapping(std::string name, std::function<T&(S&)> get, std::function<const T&(const S&)> cget,
               Section<T> inner, std::string meaning) {
  auto k = detail::key<S>(name, "mapping", "—", std::move(meaning));
  k.inner = inner.docs(name + ".");
  k.read = [=](const Key<S>& self, MapReader& m, S& s) {
    if (self.required && !m.require(self.name, self.expected)) return;
    m.map(self.name, [&](MapReader& child) { inner.read(child, get(s)); });
  };
  k.write = [=](const Key<S>&, YAML::Emitter& e, const S& s) { inner.write(e, cget(s)); };
  return k;
}

}  // namespace detail

// A mapping of its own keys, read into a struct of its own (`meters[].serial`).
template <typename S, typename T>
Key<S> mapping(std::string name, T S::*field, Section<T> inner, std::string meaning) {
  return detail::mapping<S, T>(
      std::move(name), [field](S& s) -> T& { return s.*field; },
      [field](const S& s) -> const T& { return s.*field; }, std::move(inner), std::move(meaning));
}

// A mapping whose keys are read into the same struct (`mqtt.tls.ca_file` is Mqtt::tls_ca_file).
template <typename S>
Key<S> group(std::string name, Section<S> inner, std::string meaning) {
  return detail::mapping<S, S>(
      std::move(name), [](S& s) -> S& { return s; }, [](const S& s) -> const S& { return s; },
      std::move(inner), std::move(meaning));
}

// A list of mappings, each read by `item`.
template <typename S, typename T>
Key<S> list(std::string name, std::vector<T> S::*field, Section<T> item, std::string meaning,
            bool flow_items = false) {
  auto k = detail::key<S>(name, "list", "`[]`", std::move(meaning));
  k.inner = item.docs(name + "[].");
  k.read = [=](const Key<S>& self, MapReader& m, S& s) {
    if (self.required && !m.require(self.name, self.expected)) return;
    m.list(self.name, [&](MapReader& each, int) {
      T t;
      item.read(each, t);
      (s.*field).push_back(std::move(t));
    });
  };
  k.write = [=](const Key<S>&, YAML::Emitter& e, const S& s) {
    e << YAML::BeginSeq;
    for (const auto& t : s.*field) item.write(e, t, flow_items);
    e << YAML::EndSeq;
  };
  k.empty = [=](const S& s) { return (s.*field).empty(); };
  return k;
}

// The whole file.
const Section<Config>& config_file();

}  // namespace hemd::config::schema
