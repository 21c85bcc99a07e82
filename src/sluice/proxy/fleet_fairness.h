#pragma once
/// Fleet-wide fairness in the live gateway: with `cluster.redis` set, a
/// cluster::VtcSync shares every model pool's fair-queue counters with the
/// other replicas every `cluster.fairness_sync_interval` (docs/fairness.md,
/// "Several replicas"). Without it, nothing runs and each pool is fair on
/// its own.
#include <memory>

#include "sluice/config/cluster_config.h"

namespace sluice::cluster {
class VtcSync;
}

namespace sluice::proxy {

struct GatewayContext;

/// Starts the sync of `ctx.pools` (built already); null when `cluster` has
/// no Redis. The result must be destroyed (it stops its thread) before the
/// pools are.
std::unique_ptr<cluster::VtcSync> start_fleet_fairness(GatewayContext& ctx, const config::ClusterConfig& cluster);

/// sluice_cluster_fairness_synced: 1 while the last sync worked, 0 while
/// Redis is away; nothing without a cluster.
void render_fairness_metrics(const GatewayContext& ctx, std::string& out);

}  // namespace sluice::proxy
