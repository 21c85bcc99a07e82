#include "sluice/health/circuit_breaker.h"

#include <algorithm>
#include <string>

namespace sluice::health {

std::string_view to_string(BreakerLimit limit) {
  switch (limit) {
    case BreakerLimit::kConnections:
      return "connections";
    case BreakerLimit::kInFlight:
      return "in_flight";
    case BreakerLimit::kPending:
      return "pending";
  }
  return "unknown";
}

bool CircuitBreaker::try_take(std::atomic<std::int64_t>& count, std::int64_t max, BreakerLimit limit) {
  std::int64_t current = count.load(std::memory_order_relaxed);
  while (current < max) {
    if (count.compare_exchange_weak(current, current + 1, std::memory_order_relaxed)) return true;
  }
  overflows_[static_cast<std::size_t>(limit)].fetch_add(1, std::memory_order_relaxed);
  return false;
}

bool CircuitBreaker::try_acquire_request() { return try_take(in_flight_, limits_.max_in_flight, BreakerLimit::kInFlight); }
void CircuitBreaker::release_request() { in_flight_.fetch_sub(1, std::memory_order_relaxed); }

bool CircuitBreaker::try_open_connection() {
  return try_take(connections_, limits_.max_connections, BreakerLimit::kConnections);
}
void CircuitBreaker::close_connection() { connections_.fetch_sub(1, std::memory_order_relaxed); }

bool CircuitBreaker::try_add_pending() { return try_take(pending_, limits_.max_pending, BreakerLimit::kPending); }
void CircuitBreaker::remove_pending() { pending_.fetch_sub(1, std::memory_order_relaxed); }

bool CircuitBreaker::over_limit() const {
  if (in_flight() >= limits_.max_in_flight) return true;
  return connections() >= limits_.max_connections && pending() >= limits_.max_pending;
}

bool all_over_limit(std::span<const CircuitBreaker* const> breakers) {
  return std::all_of(breakers.begin(), breakers.end(), [](const CircuitBreaker* b) { return b->over_limit(); });
}

core::Error breaker_fail_fast_error(std::string_view model) {
  return core::Error{core::ErrorCode::kNoInstance,
                     "Every instance of model '" + std::string(model) + "' is at its circuit-breaker limit; try again shortly.", ""};
}

}  // namespace sluice::health
