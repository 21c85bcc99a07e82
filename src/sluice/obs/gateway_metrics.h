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
#include <set>
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

  /// Tenant label of the tenants beyond `max_tenant_series`. Tenant ids
  /// start with [a-z0-9], so no real tenant can be named this.
  static constexpr std::string_view kOtherTenants = "_other";
  /// Tenants with a label of their own are at most this many (0 = no
  /// limit): the first ones seen (config order at start, then tenants
  /// added later while there is room); the rest share `kOtherTenants`, so
  /// 10,000 tenants cost no more series than `limit` + 1. A label once
  /// given is kept for the process lifetime. Call before the first
  /// `series()`; later calls apply to tenants not seen yet.
  void set_max_tenant_series(std::size_t limit);

  /// The series for (tenant, model); created on first use, never freed, so
  /// pointers stay valid across config reloads. A tenant over the limit
  /// shares the series of (`kOtherTenants`, model).
  RequestSeries* series(std::string_view tenant, std::string_view model);
  /// The label `tenant` is counted under: itself, or `kOtherTenants` (a
  /// tenant not seen yet is given a label of its own while there is room).
  /// For the other per-tenant series (queues, quotas, budgets), so they
  /// follow the same rule.
  std::string tenant_label(std::string_view tenant);

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
  /// The label of `tenant` (mu_ held).
  std::string_view label_locked(std::string_view tenant);

  mutable std::mutex mu_;
  std::size_t max_tenants_ = 0;
  std::set<std::string, std::less<>> labelled_;  // tenants with a label of their own
  std::map<std::pair<std::string, std::string>, std::unique_ptr<RequestSeries>> series_;
};

/// Escapes a Prometheus label value.
std::string escape_label(std::string_view value);

}  // namespace sluice::obs
