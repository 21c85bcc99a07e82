#include "sluice/route/retry_budget.h"

#include <algorithm>

namespace sluice::route {

bool RetryBudget::allows(const config::RetryPolicy& policy, std::int64_t active, std::int64_t retries_in_flight) {
  if (retries_in_flight < static_cast<std::int64_t>(policy.min_retry_concurrency)) return true;
  // retries < active × percent / 100, without division or rounding. Active
  // counts stay far below 2^40, so the products do not overflow.
  const std::int64_t active_now = std::max<std::int64_t>(active, 0);
  return retries_in_flight * 100 < active_now * static_cast<std::int64_t>(policy.budget_percent);
}

bool RetryBudget::try_start_retry(const config::RetryPolicy& policy) {
  std::int64_t current = retries_.load(std::memory_order_relaxed);
  while (allows(policy, active(), current)) {
    if (retries_.compare_exchange_weak(current, current + 1, std::memory_order_relaxed)) return true;
  }
  refused_.fetch_add(1, std::memory_order_relaxed);
  return false;
}

}  // namespace sluice::route
