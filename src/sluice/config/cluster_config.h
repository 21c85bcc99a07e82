#pragma once
/// `cluster:` — several gateway replicas acting as one (cluster/). Absent or
/// without `redis`: this gateway is alone and every limit is local.
#include <chrono>
#include <string>

#include "sluice/core/clock.h"

namespace sluice::config {

/// What a replica does with shared limits while Redis is unreachable.
enum class ClusterFallback {
  kLocal,   // each replica enforces its share: limits divided by the live replicas
  kClosed,  // refuse requests of limited tenants with 503 until Redis is back
};

struct ClusterConfig {
  /// redis://[:password@]host:port[/db]. Empty: no cluster.
  std::string redis;
  /// This replica's name in Redis (leases, heartbeats). Empty: host name and pid.
  std::string replica_id;
  /// A Redis call waits at most this long (connect and each command);
  /// beyond it the replica falls back.
  core::Duration redis_timeout = std::chrono::milliseconds(250);
  ClusterFallback fallback = ClusterFallback::kLocal;
  /// How often each replica returns unused leases, renews its heartbeat and
  /// checks Redis again after a failure.
  core::Duration sync_interval = std::chrono::milliseconds(100);
  /// A replica takes this share of a per-minute limit ahead of time (its
  /// lease), so most admissions need no Redis call at all.
  double lease_fraction = 0.01;
  /// A replica whose heartbeat is older than this is not live (its
  /// concurrency slots are freed; limits are divided by live replicas).
  core::Duration replica_ttl = std::chrono::seconds(3);
  /// The fleet leader's lease: a leader that stops renewing (killed, cut off
  /// from Redis) is replaced within about this long plus sync_interval.
  core::Duration leader_lease = std::chrono::seconds(2);

  /// Fleet-wide fairness: how often each replica exchanges its fair-queue
  /// counters with the others (docs/fairness.md, "Several replicas").
  core::Duration fairness_sync_interval = std::chrono::milliseconds(20);
  /// How far (in weighted tokens / weight) a tenant may be ahead of one
  /// waiting on another replica and still be dispatched here.
  double fairness_slack = 1000;

  bool enabled() const { return !redis.empty(); }
  bool operator==(const ClusterConfig&) const = default;
};

}  // namespace sluice::config
