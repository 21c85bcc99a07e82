#pragma once
/// A circuit breaker per instance (Envoy's circuit breaking, but per
/// instance rather than per cluster): hard caps on connections, requests in
/// flight and requests pending (waiting for a connection). They sit above
/// the room check (balance/room.h), which normally decides dispatch; the
/// breaker stops pile-ups the room check does not see — retries, mirrored
/// requests, an engine that stopped accepting connections.
///
/// Defaults — ours, Envoy's (per cluster there), and why:
///   max_connections  1024  1024  One HTTP/1.1 connection per streaming request, so
///                                at least max_in_flight.
///   max_in_flight    1024  1024  (Envoy: max_requests.) 4× vLLM's default max_num_seqs
///                                (256, also RoomLimits::max_in_flight), so the room
///                                check binds first and this catches only runaways.
///   max_pending      128   1024  (Envoy: max_pending_requests.) The queue lives in the
///                                scheduler; a request pending here waits on a TCP connect.
///                                A pile of those means the engine is not accepting:
///                                better to skip it than to queue a thousand behind it.
///
/// Use: the picker calls try_acquire_request() on its candidate and moves to
/// the next one when it fails (counted as an in-flight overflow); if
/// all_over_limit() holds for the pool, the request fails fast with 503
/// (core::ErrorCode::kNoInstance) instead of waiting. The upstream
/// connection pool brackets connects with try_open_connection() /
/// close_connection() and waits for one with try_add_pending() /
/// remove_pending().
///
/// Thread-safety: every member is safe from any thread without a lock. The
/// counts are atomics updated with compare-and-swap, so a limit is never
/// exceeded even by racing threads; over_limit() and the counters are
/// momentary readings. Limits are fixed for the breaker's lifetime.
#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "sluice/config/config.h"
#include "sluice/core/error.h"

namespace sluice::health {

/// The limits are the config's (one set of defaults, in config.h; the
/// table above says why).
using BreakerLimits = config::CircuitBreakerConfig;

enum class BreakerLimit : std::uint8_t { kConnections, kInFlight, kPending };
inline constexpr std::size_t kBreakerLimitCount = 3;

/// "connections", "in_flight", "pending" (metric labels).
std::string_view to_string(BreakerLimit limit);

class CircuitBreaker {
 public:
  explicit CircuitBreaker(BreakerLimits limits = {}) : limits_(limits) {}
  CircuitBreaker(const CircuitBreaker&) = delete;
  CircuitBreaker& operator=(const CircuitBreaker&) = delete;

  /// Takes one in-flight slot; false (and an overflow counted) at the limit.
  bool try_acquire_request();
  /// Gives back a slot taken by a successful try_acquire_request().
  void release_request();
  bool try_open_connection();
  void close_connection();
  bool try_add_pending();
  void remove_pending();

  /// The instance can take no request now: all in-flight slots are taken,
  /// or every connection is taken and so is every pending slot.
  bool over_limit() const;

  std::int64_t in_flight() const { return in_flight_.load(std::memory_order_relaxed); }
  std::int64_t connections() const { return connections_.load(std::memory_order_relaxed); }
  std::int64_t pending() const { return pending_.load(std::memory_order_relaxed); }
  /// Refused acquisitions of one kind, since construction.
  std::uint64_t overflowed(BreakerLimit limit) const {
    return overflows_[static_cast<std::size_t>(limit)].load(std::memory_order_relaxed);
  }
  const BreakerLimits& limits() const { return limits_; }

 private:
  bool try_take(std::atomic<std::int64_t>& count, std::int64_t max, BreakerLimit limit);

  const BreakerLimits limits_;
  std::atomic<std::int64_t> connections_{0};
  std::atomic<std::int64_t> in_flight_{0};
  std::atomic<std::int64_t> pending_{0};
  std::array<std::atomic<std::uint64_t>, kBreakerLimitCount> overflows_{};
};

/// True when every breaker is over its limit (and for an empty list): the
/// caller fails the request fast with breaker_fail_fast_error().
bool all_over_limit(std::span<const CircuitBreaker* const> breakers);

/// The 503 for a model whose instances are all over their limits.
core::Error breaker_fail_fast_error(std::string_view model);

}  // namespace sluice::health
