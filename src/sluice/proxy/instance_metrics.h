#pragma once
/// Per-instance state of the current routing table, read at scrape time:
/// Prometheus text for /metrics and the JSON of /admin/instances.
#include <string>

#include "sluice/balance/routing_table.h"

namespace sluice::proxy {

/// sluice_instance_{up,healthy,ejected,outstanding_requests,pending_requests,
/// connections} gauges and sluice_instance_{ejections,breaker_overflows,
/// retries}_total counters, per model and instance.
void render_instance_metrics(const balance::RoutingTable& table, std::string& out);

/// {"models":[{"model","upstream_model","instances":[{"id","address",
/// "available","healthy","ejected","backup","weight","outstanding"}]}]}
std::string instances_json(const balance::RoutingTable& table);

}  // namespace sluice::proxy
