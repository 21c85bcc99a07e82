#pragma once
/// `sluice load`: an open-loop load generator. Each arrival of the workload
/// is sent at its scheduled time whether or not earlier requests have
/// answered (so a slow gateway sees the load grow, as with real clients),
/// over keep-alive connections to one gateway URL. Per request it measures
/// TTFT, end-to-end time and the real usage, and feeds a RunRecorder.
#include <cstdint>
#include <expected>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "sluice/workload/report.h"
#include "sluice/workload/workload.h"

namespace sluice::loadgen {

/// Where the gateway is: "http://host:port", an optional path prefix
/// (a trailing "/v1" is dropped: the runner adds "/v1/chat/completions").
struct GatewayTarget {
  std::string host;
  std::uint16_t port = 0;
  std::string prefix;  // "" or e.g. "/gw"
};
std::expected<GatewayTarget, std::string> parse_gateway_url(std::string_view url);

struct LoadOptions {
  GatewayTarget target;
  /// Arrivals beyond this many unfinished requests are dropped (counted,
  /// never sent), so the open loop never blocks.
  std::size_t max_in_flight = 2000;
  /// Idle keep-alive connections kept for reuse.
  std::size_t max_idle_connections = 512;
  double connect_timeout_s = 5;
  /// Longest a request may take, from send to its last byte.
  double request_timeout_s = 120;
  /// After the last arrival, how long unfinished requests may still run
  /// (they count as errors when cut off).
  double drain_s = 30;
  /// Tenant weights for the weighted figures (by tenant id; default 1).
  std::map<std::string, double> weights;
  /// Progress line on stderr once a second.
  bool progress = true;
};

/// Counts over the whole run (the report's figures cover the window).
struct LoadStats {
  std::int64_t sent = 0;
  std::int64_t responses = 0;          // HTTP responses of any status
  std::int64_t ok = 0;
  std::int64_t refused = 0;            // 429s
  std::int64_t errors = 0;             // other statuses, broken streams, transport errors
  std::int64_t transport_errors = 0;   // no HTTP response at all
  std::int64_t broken_answers = 0;     // an error event mid-stream, or the connection lost mid-body
  std::int64_t timed_out = 0;          // cut off by the request timeout or the end of the drain
  std::int64_t in_flight = 0;
  std::vector<std::int64_t> dropped;   // per tenant: over max_in_flight, never sent
  std::map<int, std::int64_t> statuses;  // non-200 statuses other than 429
  std::string first_transport_error;
  double max_send_lag_s = 0;           // latest send behind its schedule
  std::uint64_t connections_opened = 0;
};

struct LoadResult {
  workload::RunRecorder recorder;
  LoadStats stats;
};

/// Runs the workload against the gateway; blocks until the arrivals are
/// over and the last request ended (or the drain ran out). Fails, before
/// sending anything, when the gateway cannot be reached.
std::expected<LoadResult, std::string> run_load(const workload::Workload& workload, const LoadOptions& options);

}  // namespace sluice::loadgen
