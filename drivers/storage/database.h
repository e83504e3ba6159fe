#pragma once
// One SQLite connection in WAL mode, migrated to the latest schema on open.
#include <sqlite3.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

namespace hemd::storage {

struct StorageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

using Value = std::variant<std::nullptr_t, std::int64_t, double, std::string>;

// A parametrised statement: the unit the recorder queues and commits in batches.
struct Statement {
  std::string sql;
  std::vector<Value> params;
};

int latest_schema_version();

// One row of a query's result, read by column index as the type the table declares.
class Row {
 public:
  explicit Row(sqlite3_stmt* st) : st_(st) {}
  std::int64_t integer(int column) const;
  std::optional<double> number(int column) const;  // empty for NULL
  std::string text(int column) const;              // "" for NULL
  bool null(int column) const;
  sqlite3_stmt* statement() const { return st_; }

 private:
  sqlite3_stmt* st_;
};

class Database {
 public:
  // Opens (creating if absent) and migrates. Throws StorageError naming the file when it cannot be opened,
  // is not a database, or is corrupt.
  static Database open(const std::string& path);
  Database(Database&& other) noexcept;
  Database& operator=(Database&&) = delete;
  ~Database();

  int schema_version();
  void exec(const std::string& sql);
  // Runs one statement; returns the sqlite result code (SQLITE_DONE on success) without throwing, so the
  // recorder can tell a full disk from a bug.
  int run(const Statement& s, std::string& error);
  // Calls `each` for every row of a query; throws StorageError when the query fails.
  void each(const Statement& s, const std::function<void(const Row&)>& each);
  // Rows of a query as text values, for tests and pragmas.
  std::vector<std::vector<std::optional<std::string>>> query(const Statement& s);
  const std::string& path() const { return path_; }
  sqlite3* handle() { return db_; }

 private:
  Database(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  void migrate();
  void check_tables();
  sqlite3* db_;
  std::string path_;
};

}  // namespace hemd::storage
