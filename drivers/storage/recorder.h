#pragma once
// The write path. The control loop hands statements over without waiting; a thread of its own commits them
// in batches. A full disk or a failing database is logged and counted, never thrown at the caller.
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <thread>

#include "drivers/storage/database.h"

namespace hemd::storage {

struct RecorderOptions {
  std::chrono::milliseconds commit_every{1000};
  std::size_t max_batch = 500;
  std::size_t max_queue = 20000;  // beyond this the oldest statements are dropped (and counted)
  int retention_days = 400;
};

struct RecorderStats {
  std::uint64_t committed = 0;  // statements
  std::uint64_t dropped = 0;    // lost to a full queue or a failed batch
  std::uint64_t failed_batches = 0;
  std::string last_error;    // empty once writing works again
  std::string last_failure;  // the most recent failure, kept for status reports
};

class Recorder {
 public:
  Recorder(Database db, RecorderOptions options);
  ~Recorder();  // commits what is queued, then stops
  Recorder(const Recorder&) = delete;
  Recorder& operator=(const Recorder&) = delete;

  void submit(Statement s);
  // Blocks until everything submitted before the call is committed or has failed.
  void flush();
  RecorderStats stats() const;

 private:
  void run();
  void commit(std::deque<Statement>& batch);
  void prune(std::int64_t now_ms);

  Database db_;
  RecorderOptions options_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable drained_;
  std::deque<Statement> queue_;
  std::uint64_t submitted_ = 0;
  std::uint64_t done_ = 0;
  RecorderStats stats_;
  bool stopping_ = false;
  std::int64_t last_prune_ms_ = 0;
  std::thread thread_;
};

}  // namespace hemd::storage
