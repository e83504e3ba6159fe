#include "drivers/storage/database.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

#include "drivers/storage/schema.h"

namespace hemd::storage {

int latest_schema_version() {
  return static_cast<int>(migrations.size());
}

namespace {

void bind(sqlite3_stmt* st, const std::vector<Value>& params) {
  for (std::size_t i = 0; i < params.size(); ++i) {
    const int n = static_cast<int>(i + 1);
    std::visit(
        [&](const auto& v) {
          using T = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<T, std::nullptr_t>)
            sqlite3_bind_null(st, n);
          else if constexpr (std::is_same_v<T, std::int64_t>)
            sqlite3_bind_int64(st, n, v);
          else if constexpr (std::is_same_v<T, double>)
            sqlite3_bind_double(st, n, v);
          else
            sqlite3_bind_text(st, n, v.c_str(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
        },
        params[i]);
  }
}

}  // namespace

Database Database::open(const std::string& path) {
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &db,
                                 SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string why = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close(db);
    throw StorageError(fmt::format("cannot open the database {}: {}", path, why));
  }
  Database d(db, path);
  sqlite3_busy_timeout(db, 5000);
  try {
    // WAL: readers (reports, the prices cache) never block the writer; NORMAL sync keeps every commit
    // across a crash of hemd and costs the SD card one fsync per checkpoint rather than per commit.
    d.exec("PRAGMA journal_mode=WAL");
    d.exec("PRAGMA synchronous=NORMAL");
    d.exec("PRAGMA foreign_keys=ON");
    auto check = d.query({"PRAGMA quick_check", {}});
    if (check.empty() || !check[0][0] || *check[0][0] != "ok")
      throw StorageError(check.empty() || !check[0][0] ? "integrity check gave no answer" : *check[0][0]);
    d.migrate();
    d.check_tables();
  } catch (const StorageError& e) {
    throw StorageError(
        fmt::format("the database {} cannot be used: {} (move it away to start afresh; "
                    "hemd creates a new one)",
                    path, e.what()));
  }
  return d;
}

Database::Database(Database&& other) noexcept : db_(other.db_), path_(std::move(other.path_)) {
  other.db_ = nullptr;
}

Database::~Database() {
  if (db_) sqlite3_close_v2(db_);
}

void Database::exec(const std::string& sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : sqlite3_errmsg(db_);
    sqlite3_free(err);
    throw StorageError(msg);
  }
}

int Database::schema_version() {
  auto rows = query({"PRAGMA user_version", {}});
  return rows.empty() || !rows[0][0] ? 0 : std::stoi(*rows[0][0]);
}

void Database::migrate() {
  const int from = schema_version();
  if (from > latest_schema_version())
    throw StorageError(fmt::format("schema version {} is newer than this hemd understands ({})", from,
                                   latest_schema_version()));
  for (int v = from; v < latest_schema_version(); ++v) {
    // Each step and its version bump commit together, so a crash mid-migration leaves the old version.
    exec("BEGIN IMMEDIATE");
    try {
      exec(migrations[v]);
      exec(fmt::format("PRAGMA user_version={}", v + 1));
      exec("COMMIT");
    } catch (const StorageError& e) {
      exec("ROLLBACK");
      throw StorageError(fmt::format("migration to schema {} failed: {}", v + 1, e.what()));
    }
  }
}

int Database::run(const Statement& s, std::string& error) {
  sqlite3_stmt* st = nullptr;
  int rc = sqlite3_prepare_v2(db_, s.sql.c_str(), -1, &st, nullptr);
  if (rc != SQLITE_OK) {
    error = sqlite3_errmsg(db_);
    return rc;
  }
  bind(st, s.params);
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
  }
  if (rc != SQLITE_DONE) error = sqlite3_errmsg(db_);
  sqlite3_finalize(st);
  return rc;
}

std::int64_t Row::integer(int column) const {
  return sqlite3_column_int64(st_, column);
}

std::optional<double> Row::number(int column) const {
  if (null(column)) return std::nullopt;
  return sqlite3_column_double(st_, column);
}

std::string Row::text(int column) const {
  const auto* text = sqlite3_column_text(st_, column);
  return text ? std::string(reinterpret_cast<const char*>(text)) : std::string();
}

bool Row::null(int column) const {
  return sqlite3_column_type(st_, column) == SQLITE_NULL;
}

void Database::each(const Statement& s, const std::function<void(const Row&)>& each) {
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(db_, s.sql.c_str(), -1, &st, nullptr) != SQLITE_OK)
    throw StorageError(sqlite3_errmsg(db_));
  bind(st, s.params);
  int rc;
  try {
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) each(Row(st));
  } catch (...) {
    sqlite3_finalize(st);
    throw;
  }
  std::string err = rc == SQLITE_DONE ? "" : sqlite3_errmsg(db_);
  sqlite3_finalize(st);
  if (!err.empty()) throw StorageError(err);
}

std::vector<std::vector<std::optional<std::string>>> Database::query(const Statement& s) {
  std::vector<std::vector<std::optional<std::string>>> rows;
  each(s, [&](const Row& r) {
    auto& row = rows.emplace_back();
    for (int i = 0; i < sqlite3_column_count(r.statement()); ++i)
      row.push_back(r.null(i) ? std::nullopt : std::optional<std::string>(r.text(i)));
  });
  return rows;
}

// A file at the latest version whose tables do not hold the columns that version made (a database from
// another program, or edited by hand) would fail later with "no such column" and no file named; it is refused
// here instead, with what is wrong. Compared against the migrations applied to an empty database.
void Database::check_tables() {
  sqlite3* ref = nullptr;
  sqlite3_open_v2(":memory:", &ref, SQLITE_OPEN_READWRITE, nullptr);
  Database expected(ref, ":memory:");
  for (const char* m : migrations) expected.exec(m);
  auto columns = [](Database& db, const std::string& table) {
    std::vector<std::string> names;
    for (const auto& row : db.query({"SELECT name FROM pragma_table_info(?)", {table}}))
      if (row[0]) names.push_back(*row[0]);
    return names;
  };
  for (const auto& row : expected.query({"SELECT name FROM sqlite_master WHERE type = 'table'", {}})) {
    if (!row[0]) continue;
    const auto want = columns(expected, *row[0]);
    const auto have = columns(*this, *row[0]);
    if (have.empty()) throw StorageError(fmt::format("table {} is missing", *row[0]));
    for (const auto& c : want)
      if (std::find(have.begin(), have.end(), c) == have.end())
        throw StorageError(
            fmt::format("table {} has no column {} (it has {}; expected {}): not a database "
                        "this hemd made",
                        *row[0], c, fmt::join(have, ", "), fmt::join(want, ", ")));
  }
}

}  // namespace hemd::storage
