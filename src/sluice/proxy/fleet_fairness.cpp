#include "sluice/proxy/fleet_fairness.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include "sluice/cluster/vtc_sync.h"
#include "sluice/obs/histogram.h"
#include "sluice/proxy/gateway_context.h"
#include "sluice/proxy/model_pool.h"

namespace sluice::proxy {

std::unique_ptr<cluster::VtcSync> start_fleet_fairness(GatewayContext& ctx, const config::ClusterConfig& cluster) {
  if (!cluster.enabled()) return nullptr;
  auto address = cluster::parse_redis_url(cluster.redis);
  if (!address) {
    spdlog::error("fleet-wide fairness is off: {}", address.error());
    return nullptr;
  }
  std::string replica = cluster.replica_id;
  if (replica.empty()) {
    char host[256] = {};
    gethostname(host, sizeof host - 1);
    replica = fmt::format("{}:{}", host, getpid());
  }
  const auto cfg = ctx.config.load();
  std::vector<cluster::FairnessPool> pools;
  for (auto& pool : ctx.pools) {
    ModelPool* p = pool.get();
    pools.push_back(cluster::FairnessPool{
        .model = cfg->config.models[p->model_index()].name,
        .take = [p](bool all) { return p->take_sync(all); },
        .merge = [p](const sched::GlobalCounters& global) { p->merge_global(global); },
        .clear = [p] { p->clear_global(); }});
  }
  const auto interval = cluster.fairness_sync_interval;
  cluster::VtcSyncConfig sync{
      .address = *address,
      .timeout = std::chrono::duration_cast<std::chrono::milliseconds>(cluster.redis_timeout),
      .interval = interval,
      .replica_id = replica,
      .slack = cluster.fairness_slack,
      // A replica that stops syncing (it died) holds nobody back for long.
      .waiting_ttl = std::max(std::chrono::milliseconds(250),
                              10 * std::chrono::duration_cast<std::chrono::milliseconds>(interval)),
  };
  auto out = std::make_unique<cluster::VtcSync>(std::move(sync), std::move(pools),
                                                [&ctx] { return ctx.config.load()->sched_tenant_ids(); });
  out->start();
  return out;
}

void render_fairness_metrics(const GatewayContext& ctx, std::string& out) {
  if (!ctx.fairness) return;
  obs::render_header(out, "sluice_cluster_fairness_synced", "gauge",
                     "1 while this replica's fair-queue counters are shared with the other replicas (Redis "
                     "answers), 0 while each replica is fair on its own.");
  fmt::format_to(std::back_inserter(out), "sluice_cluster_fairness_synced {}\n", ctx.fairness->synced() ? 1 : 0);
}

}  // namespace sluice::proxy
