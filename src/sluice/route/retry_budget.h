#pragma once
/// A retry budget per model pool, after Envoy's retry_budget
/// (envoy.config.cluster.v3.CircuitBreakers.Thresholds.RetryBudget): retries
/// in flight may not exceed budget_percent of the active requests, but
/// min_retry_concurrency are always allowed. A fixed retry count alone
/// multiplies load by up to (retries + 1) exactly when the engines are
/// failing — a retry storm; the budget caps the extra load at 20%.
///
/// Defaults — ours, Envoy's, and why:
///   budget_percent          20  20  (Envoy's default when a retry_budget is set)
///   min_retry_concurrency    3   3  so a quiet pool (a few requests) can still
///                                   retry a failure or two.
///
/// Rule: a retry may start while retries_in_flight < min_retry_concurrency
/// or retries_in_flight × 100 < active × budget_percent (Envoy's comparison,
/// in exact integer arithmetic, no rounding: with min_retry_concurrency 0,
/// 7 active at 20% allow two retries, as 1 < 1.4). With the defaults: 0
/// active allow 3 retries in flight, 100 active allow 20. A request counts
/// once in `active` however many tries it makes; its retry holds a budget
/// slot from try_start_retry() until that retry ends (retry_finished()).
/// Refusals are counted (Envoy's upstream_rq_retry_overflow); the request
/// then fails with the failed try's outcome.
///
/// Use: request_started()/request_finished() bracket every request of the
/// pool; after should_retry() says yes, try_start_retry() asks the budget.
///
/// Thread-safety: every member is safe from any thread without a lock. The
/// retry count is taken with compare-and-swap, so the limit holds against
/// racing threads (for the `active` read at that moment); the counters are
/// momentary readings.
#include <atomic>
#include <cstdint>

#include "sluice/config/config.h"

namespace sluice::route {

class RetryBudget {
 public:
  RetryBudget() = default;
  RetryBudget(const RetryBudget&) = delete;
  RetryBudget& operator=(const RetryBudget&) = delete;

  void request_started() { active_.fetch_add(1, std::memory_order_relaxed); }
  void request_finished() { active_.fetch_sub(1, std::memory_order_relaxed); }

  /// Takes a retry slot under `policy`'s budget; false (and a refusal
  /// counted) when the budget is spent.
  bool try_start_retry(const config::RetryPolicy& policy);
  /// Gives back a slot taken by a successful try_start_retry().
  void retry_finished() { retries_.fetch_sub(1, std::memory_order_relaxed); }

  std::int64_t active() const { return active_.load(std::memory_order_relaxed); }
  std::int64_t retries_in_flight() const { return retries_.load(std::memory_order_relaxed); }
  /// Retries the budget refused, since construction.
  std::uint64_t refused() const { return refused_.load(std::memory_order_relaxed); }

  /// The rule above, for given counts.
  static bool allows(const config::RetryPolicy& policy, std::int64_t active, std::int64_t retries_in_flight);

 private:
  std::atomic<std::int64_t> active_{0};
  std::atomic<std::int64_t> retries_{0};
  std::atomic<std::uint64_t> refused_{0};
};

}  // namespace sluice::route
