#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <thread>

#include "drivers/storage/database.h"
#include "drivers/storage/recorder.h"
#include "drivers/storage/schema.h"

namespace hemd::storage {
namespace {

namespace fs = std::filesystem;

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/hemd-storage-XXXXXX";
    path_ = mkdtemp(tmpl);
  }
  ~TempDir() { fs::remove_all(path_); }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// Rows are stamped near now: retention pruning would rightly delete rows from 1970.
const std::int64_t t0 =
    std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();

std::set<std::string> tables(Database& db) {
  std::set<std::string> out;
  for (auto& row : db.query({"SELECT name FROM sqlite_master WHERE type='table'", {}})) out.insert(*row[0]);
  return out;
}

TEST(Storage, EmptyFileMigratesToLatestInWalMode) {
  TempDir dir;
  auto db = Database::open(dir.file("hemd.db"));
  EXPECT_EQ(db.schema_version(), latest_schema_version());
  auto t = tables(db);
  for (const char* name :
       {"site_measurements", "charger_measurements", "sessions", "prices", "plans", "events", "settings"})
    EXPECT_TRUE(t.count(name)) << name;
  EXPECT_EQ(*db.query({"PRAGMA journal_mode", {}})[0][0], "wal");
}

TEST(Storage, OlderSchemaMigratesForwardKeepingItsRows) {
  TempDir dir;
  const std::string path = dir.file("old.db");
  {
    // A database as the first release left it: schema 1 and a session row.
    sqlite3* raw = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &raw), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(raw, migrations[0], nullptr, nullptr, nullptr), SQLITE_OK);
    ASSERT_EQ(
        sqlite3_exec(raw,
                     "INSERT INTO sessions (charger_id, started_ms, energy_wh) VALUES ('garage', 1, 7400);"
                     "PRAGMA user_version=1;",
                     nullptr, nullptr, nullptr),
        SQLITE_OK);
    sqlite3_close(raw);
  }
  auto db = Database::open(path);
  EXPECT_EQ(db.schema_version(), latest_schema_version());
  EXPECT_TRUE(tables(db).count("settings"));
  auto rows = db.query({"SELECT charger_id, energy_wh FROM sessions", {}});
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(*rows[0][0], "garage");
  EXPECT_EQ(std::stod(*rows[0][1]), 7400);
}

TEST(Storage, ReopeningDoesNotMigrateTwice) {
  TempDir dir;
  { auto db = Database::open(dir.file("a.db")); }
  auto db = Database::open(dir.file("a.db"));
  EXPECT_EQ(db.schema_version(), latest_schema_version());
}

TEST(Storage, NewerSchemaIsRefusedByName) {
  TempDir dir;
  {
    auto db = Database::open(dir.file("new.db"));
    db.exec("PRAGMA user_version=99");
  }
  try {
    Database::open(dir.file("new.db"));
    FAIL() << "a database from a newer hemd must not be opened";
  } catch (const StorageError& e) {
    EXPECT_NE(std::string(e.what()).find(dir.file("new.db")), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("newer"), std::string::npos) << e.what();
  }
}

// A database at the latest version whose settings table has other columns stopped hemd with "no such column:
// value" and no file named (issue 26.9): it is refused on open, naming the file, the table and the column.
TEST(Storage, ATableWithTheWrongColumnsIsRefusedNamingFileTableAndColumn) {
  TempDir dir;
  const std::string path = dir.file("foreign.db");
  {
    auto db = Database::open(path);
    db.exec("DROP TABLE settings");
    db.exec("CREATE TABLE settings (name TEXT PRIMARY KEY, setting TEXT, updated_ms INTEGER)");
  }
  try {
    Database::open(path);
    FAIL() << "a settings table without a value column must be refused";
  } catch (const StorageError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find(path), std::string::npos) << what;
    EXPECT_NE(what.find("table settings has no column key"), std::string::npos) << what;
    EXPECT_NE(what.find("it has name, setting, updated_ms"), std::string::npos) << what;
  }
  {
    auto db = Database::open(dir.file("missing.db"));
    db.exec("DROP TABLE charger_knowledge");
  }
  try {
    Database::open(dir.file("missing.db"));
    FAIL();
  } catch (const StorageError& e) {
    EXPECT_NE(std::string(e.what()).find("table charger_knowledge is missing"), std::string::npos)
        << e.what();
  }
}

TEST(Storage, CorruptFileIsAClearErrorNamingTheFile) {
  TempDir dir;
  const std::string path = dir.file("corrupt.db");
  std::ofstream(path) << std::string(8192, 'x');
  try {
    Database::open(path);
    FAIL() << "garbage must not open as a database";
  } catch (const StorageError& e) {
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
  }
}

TEST(Storage, UnwritablePathIsAClearError) {
  try {
    Database::open("/nonexistent-dir/hemd.db");
    FAIL();
  } catch (const StorageError& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent-dir/hemd.db"), std::string::npos) << e.what();
  }
}

TEST(Recorder, CommitsInBatchesAndFlushWaits) {
  TempDir dir;
  {
    Recorder rec(Database::open(dir.file("r.db")), RecorderOptions{});
    for (int i = 0; i < 1234; ++i)
      rec.submit({"INSERT INTO events VALUES (?,?,?,?)",
                  {t0 + i, std::int64_t{6}, std::string("t"), std::string("m")}});
    rec.flush();
    EXPECT_EQ(rec.stats().committed, 1234u);
    EXPECT_EQ(rec.stats().dropped, 0u);
  }
  auto db = Database::open(dir.file("r.db"));
  EXPECT_EQ(*db.query({"SELECT count(*) FROM events", {}})[0][0], "1234");
}

TEST(Recorder, FullDiskIsCountedAndWritingResumesWhenThereIsRoomAgain) {
  TempDir dir;
  auto db = Database::open(dir.file("full.db"));
  // The page limit makes SQLite behave exactly as on a full disk (SQLITE_FULL) without filling one.
  const auto pages = std::stoll(*db.query({"PRAGMA page_count", {}})[0][0]);
  db.exec("PRAGMA max_page_count=" + std::to_string(pages + 2));
  Recorder rec(std::move(db), RecorderOptions{std::chrono::milliseconds(50), 50, 20000, 400});
  const std::string big(3000, 'x');
  for (int i = 0; i < 200; ++i)
    rec.submit({"INSERT INTO events VALUES (?,?,?,?)", {t0 + i, std::int64_t{6}, std::string("t"), big}});
  rec.flush();
  const auto s = rec.stats();
  EXPECT_GT(s.failed_batches, 0u);
  EXPECT_GT(s.dropped, 0u);
  EXPECT_NE(s.last_failure.find("full"), std::string::npos) << s.last_failure;
  // hemd goes on: more submissions are accepted, nothing throws, and small rows fit again after pruning.
  rec.submit({"DELETE FROM events", {}});
  rec.submit({"INSERT INTO events VALUES (?,6,'t','small')", {t0}});
  rec.flush();
  EXPECT_TRUE(rec.stats().last_error.empty()) << rec.stats().last_error;
}

TEST(Recorder, BadStatementDoesNotCostTheBatch) {
  TempDir dir;
  Recorder rec(Database::open(dir.file("b.db")), RecorderOptions{});
  rec.submit({"INSERT INTO events VALUES (strftime('%s','now')*1000,6,'t','before')", {}});
  rec.submit({"INSERT INTO no_such_table VALUES (1)", {}});
  rec.submit({"INSERT INTO events VALUES (strftime('%s','now')*1000,6,'t','after')", {}});
  rec.flush();
  EXPECT_EQ(rec.stats().committed, 3u);
  EXPECT_EQ(rec.stats().dropped, 1u);
}

// kill -9 at a random moment while the recorder commits: the database opens afterwards and holds every row
// whose commit the child had reported.
TEST(Recorder, KillNineLosesNoCommittedRow) {
  std::mt19937 rng(42);
  for (int round = 0; round < 5; ++round) {
    TempDir dir;
    const std::string path = dir.file("k.db");
    { auto db = Database::open(path); }
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    const pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      close(fds[0]);
      Recorder rec(Database::open(path), RecorderOptions{std::chrono::milliseconds(5), 20, 20000, 400});
      for (std::int64_t i = 0;; ++i) {
        rec.submit({"INSERT INTO events VALUES (?,?,?,?)",
                    {t0 + i, std::int64_t{6}, std::string("k"), std::string(200, 'y')}});
        if (i % 20 == 19) {
          rec.flush();  // everything up to i is committed now
          if (write(fds[1], &i, sizeof i) != sizeof i) _exit(1);
        }
      }
    }
    close(fds[1]);
    // The kill comes at a random moment after the first commit, however slow a loaded machine makes the
    // child's start.
    std::int64_t last = -1, v = 0;
    if (read(fds[0], &v, sizeof v) == sizeof v) last = v;
    std::this_thread::sleep_for(std::chrono::milliseconds(rng() % 400));
    kill(child, SIGKILL);
    int status = 0;
    waitpid(child, &status, 0);
    while (read(fds[0], &v, sizeof v) == sizeof v) last = v;
    close(fds[0]);
    ASSERT_GE(last, 0) << "the child committed nothing before it was killed";
    auto db = Database::open(path);
    EXPECT_EQ(*db.query({"PRAGMA integrity_check", {}})[0][0], "ok");
    const auto max_id = std::stoll(*db.query({"SELECT max(at_ms) FROM events", {}})[0][0]) - t0;
    const auto count =
        std::stoll(*db.query({"SELECT count(*) FROM events WHERE at_ms <= ?", {t0 + last}})[0][0]);
    EXPECT_GE(max_id, last);
    EXPECT_EQ(count, last + 1) << "round " << round;
  }
}

}  // namespace
}  // namespace hemd::storage
