#include "drivers/storage/recorder.h"

#include "drivers/log/log.h"
#include "drivers/log/wall_clock.h"

namespace hemd::storage {

Recorder::Recorder(Database db, RecorderOptions options)
    : db_(std::move(db)), options_(options), thread_([this] { run(); }) {}

Recorder::~Recorder() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void Recorder::submit(Statement s) {
  bool wake = false;
  {
    std::lock_guard lock(mutex_);
    if (queue_.size() >= options_.max_queue) {
      queue_.pop_front();
      ++stats_.dropped;
      ++done_;
    }
    queue_.push_back(std::move(s));
    ++submitted_;
    wake = queue_.size() >= options_.max_batch;
  }
  if (wake) wake_.notify_one();
}

void Recorder::flush() {
  std::unique_lock lock(mutex_);
  const std::uint64_t target = submitted_;
  wake_.notify_one();
  drained_.wait(lock, [&] { return done_ >= target; });
}

RecorderStats Recorder::stats() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

void Recorder::run() {
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait_for(lock, options_.commit_every,
                   [&] { return stopping_ || queue_.size() >= options_.max_batch || done_ < submitted_; });
    if (queue_.empty()) {
      if (stopping_) return;
      continue;
    }
    std::deque<Statement> batch;
    const std::size_t n = std::min(queue_.size(), options_.max_batch);
    batch.insert(batch.end(), std::make_move_iterator(queue_.begin()),
                 std::make_move_iterator(queue_.begin() + n));
    queue_.erase(queue_.begin(), queue_.begin() + n);
    lock.unlock();
    commit(batch);
    const std::int64_t now = wall_ms();
    if (now - last_prune_ms_ > 3600 * 1000) prune(now);
    lock.lock();
    done_ += n;
    drained_.notify_all();
  }
}

void Recorder::commit(std::deque<Statement>& batch) {
  std::string error;
  auto fail = [&](int rc) {
    std::string ignored;
    db_.run({"ROLLBACK", {}}, ignored);
    std::lock_guard lock(mutex_);
    ++stats_.failed_batches;
    stats_.dropped += batch.size();
    // Logged once per kind of failure, not once per batch: a full disk would otherwise flood the journal.
    if (stats_.last_error != error)
      log::error(
          "storage: cannot write to {}: {} ({}); hemd keeps controlling, history is lost until it "
          "is fixed",
          db_.path(), error, rc == SQLITE_FULL ? "disk full" : sqlite3_errstr(rc));
    stats_.last_error = stats_.last_failure = error;
  };
  int rc = db_.run({"BEGIN", {}}, error);
  if (rc != SQLITE_DONE) return fail(rc);
  for (const auto& s : batch) {
    rc = db_.run(s, error);
    if (rc == SQLITE_FULL || rc == SQLITE_IOERR || rc == SQLITE_READONLY || rc == SQLITE_CORRUPT)
      return fail(rc);
    if (rc != SQLITE_DONE) {
      // A bad statement is a bug in its caller; it must not cost the rest of the batch.
      log::error("storage: statement failed: {}: {}", error, s.sql.substr(0, 80));
      std::lock_guard lock(mutex_);
      ++stats_.dropped;
    }
  }
  rc = db_.run({"COMMIT", {}}, error);
  if (rc != SQLITE_DONE) return fail(rc);
  std::lock_guard lock(mutex_);
  stats_.committed += batch.size();
  if (!stats_.last_error.empty()) log::notice("storage: writing to {} again", db_.path());
  stats_.last_error.clear();
}

void Recorder::prune(std::int64_t now_ms) {
  last_prune_ms_ = now_ms;
  const std::int64_t cutoff = now_ms - std::int64_t{options_.retention_days} * 86400 * 1000;
  std::string error;
  for (const char* table : {"site_measurements", "charger_measurements", "events"}) {
    if (db_.run({fmt::format("DELETE FROM {} WHERE at_ms < ?", table), {cutoff}}, error) != SQLITE_DONE)
      log::warning("storage: pruning {} failed: {}", table, error);
  }
  if (db_.run({"DELETE FROM pv_forecast WHERE start_ms < ?", {cutoff}}, error) != SQLITE_DONE)
    log::warning("storage: pruning pv_forecast failed: {}", error);
}

}  // namespace hemd::storage
