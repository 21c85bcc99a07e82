#pragma once
/// The gateway's metrics, declared once. Per-request code holds pointers to
/// its series (looked up when a config snapshot is built, never per request)
/// and only touches atomics. Thread-safety: everything here may be used from
/// any thread; `series()` takes a mutex and is meant for snapshot building.
#include <array>
#include <atomic>

#include "sluice/obs/route_metrics.h"
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "sluice/obs/histogram.h"

namespace sluice::obs {

/// Status codes with their own series; anything else is counted as "other".
inline constexpr std::array<int, 15> kCountedStatuses{200, 400, 401, 404, 405, 408, 413, 429, 431,
                                                      499, 500, 502, 503, 504, 0};

/// Why admission or the queue refused a request (label `reason`).
enum class RefusalReason { kRequests, kTokens, kTooLarge, kConcurrency, kQueueFull, kQueueTimeout };
inline constexpr std::array<std::string_view, 6> kRefusalReasons{"requests", "tokens", "too_large",
                                                                 "concurrency", "queue_full", "queue_timeout"};

/// Counters of one (tenant, model) pair.
struct RequestSeries {
  RequestSeries();
  void count_status(int status);

  std::array<std::atomic<std::uint64_t>, kCountedStatuses.size()> by_status{};
  std::atomic<std::uint64_t> prompt_tokens{0};
  std::atomic<std::uint64_t> completion_tokens{0};
  Histogram time_to_first_token;  // seconds, streams: first content chunk; else whole response
  Histogram duration;             // seconds, request read to last byte written
  Histogram queue_wait;           // seconds in the model's fair queue, served requests only (0 when dispatched at once)
  std::atomic<std::uint64_t> dispatched{0};  // left the queue for an instance
  std::array<std::atomic<std::uint64_t>, kRefusalReasons.size()> refused{};

  void count_refusal(RefusalReason reason) {
    refused[static_cast<std::size_t>(reason)].fetch_add(1, std::memory_order_relaxed);
  }
};

class GatewayMetrics {
 public:
  /// Label used for requests that have no tenant (bad key) or no known model.
  static constexpr std::string_view kNone = "";

  /// The series for (tenant, model); created on first use, never freed, so
  /// pointers stay valid across config reloads.
  RequestSeries* series(std::string_view tenant, std::string_view model);

  std::atomic<std::int64_t> requests_in_flight{0};
  std::atomic<std::uint64_t> client_disconnects{0};
  std::atomic<std::uint64_t> upstream_connects{0};
  std::atomic<std::uint64_t> upstream_reused{0};
  std::atomic<std::uint64_t> upstream_retries{0};  // failed tries retried on another instance
  std::atomic<std::uint64_t> retry_budget_exhausted{0};  // retries the retry budget refused
  RouteMetrics routes;

  /// Prometheus text for everything above.
  void render(std::string& out) const;

 private:
  mutable std::mutex mu_;
  std::map<std::pair<std::string, std::string>, std::unique_ptr<RequestSeries>> series_;
};

/// Escapes a Prometheus label value.
std::string escape_label(std::string_view value);

}  // namespace sluice::obs
