#pragma once
/// The usage ledger's writer: the request path hands each finished
/// request's usage to `record()` (a short critical section, no I/O), and a
/// background thread commits what has gathered every `commit_interval` in
/// one transaction (group commit). So a kill -9 loses at most the last
/// interval, and the request path never waits on the database.
///
/// While the database is unreachable rows stay buffered (up to `capacity`;
/// more are dropped and counted) and are written when it returns, oldest
/// first. `stop()` writes everything left (SIGTERM loses nothing).
///
/// Thread-safety: record() and the counters from any thread.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "sluice/store/records.h"
#include "sluice/store/sql_connection.h"

namespace sluice::store {

class UsageWriter {
 public:
  /// Writes a batch; the store's append_usage in the gateway.
  using Sink = std::function<Result<void>(std::span<const UsageRecord>)>;

  UsageWriter(Sink sink, std::chrono::milliseconds commit_interval, std::size_t capacity);
  ~UsageWriter();
  UsageWriter(const UsageWriter&) = delete;
  UsageWriter& operator=(const UsageWriter&) = delete;

  void start();
  /// Writes what is buffered (trying for at most `deadline`) and stops the thread.
  void stop(std::chrono::milliseconds deadline = std::chrono::seconds(10));

  /// Queues one finished request's usage.
  void record(UsageRecord row);

  std::uint64_t written() const { return written_.load(std::memory_order_relaxed); }
  std::uint64_t dropped() const { return dropped_.load(std::memory_order_relaxed); }
  std::uint64_t failed_commits() const { return failed_commits_.load(std::memory_order_relaxed); }
  std::size_t buffered() const;
  /// Whether the last commit reached the database.
  bool healthy() const { return healthy_.load(std::memory_order_relaxed); }

  /// sluice_usage_* metrics.
  void render_metrics(std::string& out) const;

 private:
  void run();
  /// Writes the pending rows once; false when the sink failed (rows kept).
  bool commit_once();

  Sink sink_;
  std::chrono::milliseconds interval_;
  std::size_t capacity_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<UsageRecord> incoming_;  // under mu_
  std::deque<UsageRecord> pending_;    // writer thread only: failed batches wait here
  bool stopping_ = false;
  std::thread thread_;
  std::mutex commit_mu_;  // one commit at a time (the thread, or stop())
  std::atomic<std::uint64_t> written_{0};
  std::atomic<std::uint64_t> dropped_{0};
  std::atomic<std::uint64_t> failed_commits_{0};
  std::atomic<std::size_t> pending_size_{0};
  std::atomic<bool> healthy_{true};
  std::atomic<double> last_commit_seconds_{0};
};

}  // namespace sluice::store
