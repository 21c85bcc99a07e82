#pragma once
/// Per-instance state of the current routing table, read at scrape time:
/// Prometheus text for /metrics and the JSON of /admin/instances.
#include <array>
#include <string>
#include <string_view>

#include "sluice/balance/routing_table.h"
#include "sluice/route/retry_policy.h"

namespace sluice::proxy {

/// Causes of a retried try, as metric labels, in InstanceCounters::retries
/// order.
inline constexpr std::array<std::string_view, 5> kRetryCauses = {"connect_failure", "refused", "reset",
                                                                 "per_try_timeout", "status"};

/// The InstanceCounters::retries slot of a failed try: an answer (a
/// retriable status) is "status".
constexpr std::size_t retry_cause(route::TryFailure failure) {
  switch (failure) {
    case route::TryFailure::kConnectFailure: return 0;
    case route::TryFailure::kRefused: return 1;
    case route::TryFailure::kReset: return 2;
    case route::TryFailure::kPerTryTimeout: return 3;
    case route::TryFailure::kStatus:
    case route::TryFailure::kNone: break;
  }
  return 4;
}

/// sluice_instance_{up,healthy,ejected,outstanding_requests,pending_requests,
/// connections} gauges and sluice_instance_{ejections,breaker_overflows,
/// retries}_total counters, per model and instance.
void render_instance_metrics(const balance::RoutingTable& table, std::string& out);

/// {"models":[{"model","upstream_model","instances":[{"id","address",
/// "available","healthy","ejected","backup","weight","outstanding"}]}]}
std::string instances_json(const balance::RoutingTable& table);

}  // namespace sluice::proxy
