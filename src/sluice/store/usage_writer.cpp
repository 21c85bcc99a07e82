#include "sluice/store/usage_writer.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace sluice::store {

UsageWriter::UsageWriter(Sink sink, std::chrono::milliseconds commit_interval, std::size_t capacity)
    : sink_(std::move(sink)), interval_(std::max(commit_interval, std::chrono::milliseconds(1))), capacity_(capacity) {}

UsageWriter::~UsageWriter() { stop(std::chrono::milliseconds(0)); }

void UsageWriter::start() {
  std::lock_guard lock(mu_);
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] { run(); });
}

void UsageWriter::record(UsageRecord row) {
  {
    std::lock_guard lock(mu_);
    if (incoming_.size() + pending_size_.load(std::memory_order_relaxed) >= capacity_) {
      const auto n = dropped_.fetch_add(1, std::memory_order_relaxed);
      if ((n & (n + 1)) == 0)  // 1st, 2nd, 4th, 8th … drop: the log says so without flooding
        spdlog::error("usage ledger: buffer full ({} rows, the database is not taking them): {} row(s) dropped",
                      capacity_, n + 1);
      return;
    }
    incoming_.push_back(std::move(row));
  }
}

std::size_t UsageWriter::buffered() const {
  std::lock_guard lock(mu_);
  return incoming_.size() + pending_size_.load(std::memory_order_relaxed);
}

bool UsageWriter::commit_once() {
  std::lock_guard commit(commit_mu_);
  {
    std::lock_guard lock(mu_);
    for (auto& row : incoming_) pending_.push_back(std::move(row));
    incoming_.clear();
    pending_size_.store(pending_.size(), std::memory_order_relaxed);
  }
  if (pending_.empty()) return true;
  // At most this many rows per transaction, so catching up after an outage
  // does not hold the database's write lock for long.
  constexpr std::size_t kMaxBatch = 5000;
  while (!pending_.empty()) {
    const std::size_t n = std::min(kMaxBatch, pending_.size());
    std::vector<UsageRecord> batch(std::make_move_iterator(pending_.begin()),
                                   std::make_move_iterator(pending_.begin() + static_cast<std::ptrdiff_t>(n)));
    const auto started = std::chrono::steady_clock::now();
    if (auto r = sink_(batch); !r) {
      // Put the rows back (moved-from strings were moved into `batch`).
      for (std::size_t i = 0; i < n; ++i) pending_[i] = std::move(batch[i]);
      failed_commits_.fetch_add(1, std::memory_order_relaxed);
      if (healthy_.exchange(false)) spdlog::error("usage ledger: cannot write ({}); buffering", r.error().message);
      return false;
    }
    last_commit_seconds_.store(std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count(),
                               std::memory_order_relaxed);
    pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(n));
    pending_size_.store(pending_.size(), std::memory_order_relaxed);
    written_.fetch_add(n, std::memory_order_relaxed);
    if (!healthy_.exchange(true)) spdlog::info("usage ledger: writing again");
  }
  return true;
}

void UsageWriter::run() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    cv_.wait_for(lock, interval_, [this] { return stopping_; });
    if (stopping_) break;
    lock.unlock();
    commit_once();
    lock.lock();
  }
}

void UsageWriter::stop(std::chrono::milliseconds deadline) {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  const auto until = std::chrono::steady_clock::now() + deadline;
  while (!commit_once() && std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  const std::size_t left = buffered();
  if (left > 0) spdlog::error("usage ledger: {} row(s) not written at shutdown (the database is unreachable)", left);
}

void UsageWriter::render_metrics(std::string& out) const {
  out += "# HELP sluice_usage_rows_written_total Finished requests written to the usage ledger.\n"
         "# TYPE sluice_usage_rows_written_total counter\n";
  out += fmt::format("sluice_usage_rows_written_total {}\n", written());
  out += "# HELP sluice_usage_rows_dropped_total Usage rows dropped because the buffer was full while the database "
         "was unreachable.\n# TYPE sluice_usage_rows_dropped_total counter\n";
  out += fmt::format("sluice_usage_rows_dropped_total {}\n", dropped());
  out += "# HELP sluice_usage_rows_buffered Usage rows waiting to be written.\n# TYPE sluice_usage_rows_buffered gauge\n";
  out += fmt::format("sluice_usage_rows_buffered {}\n", buffered());
  out += "# HELP sluice_usage_commit_failures_total Ledger commits that failed (rows kept and retried).\n"
         "# TYPE sluice_usage_commit_failures_total counter\n";
  out += fmt::format("sluice_usage_commit_failures_total {}\n", failed_commits());
  out += "# HELP sluice_store_up 1 when the last write to the store succeeded.\n# TYPE sluice_store_up gauge\n";
  out += fmt::format("sluice_store_up {}\n", healthy() ? 1 : 0);
  out += "# HELP sluice_usage_last_commit_seconds How long the last ledger commit took.\n"
         "# TYPE sluice_usage_last_commit_seconds gauge\n";
  out += fmt::format("sluice_usage_last_commit_seconds {}\n", last_commit_seconds_.load(std::memory_order_relaxed));
}

}  // namespace sluice::store
