#include "sluice/proxy/gateway_context.h"

#include <algorithm>

#include "sluice/cluster/vtc_sync.h"
#include "sluice/proxy/fleet_fairness.h"
#include "sluice/proxy/model_pool.h"
#include "sluice/proxy/budgets.h"
#include "sluice/tenancy/budget_ledger.h"
#include "sluice/tenancy/quota_ledger.h"

namespace sluice::proxy {

ConfigSnapshot::ConfigSnapshot(config::Config cfg, std::string_view salt_secret, obs::GatewayMetrics& metrics,
                               const ConfigSnapshot* previous)
    : config(std::move(cfg)),
      tenants(config, salt_secret),
      routes(config.routes),
      quotas(std::make_shared<tenancy::QuotaLedger>(
          config, core::steady_now(),
          previous ? previous->quotas.get() : nullptr)),
      budgets(std::make_shared<tenancy::BudgetLedger>(config, unix_now_ms(),
                                                      previous ? previous->budgets.get() : nullptr)) {
  if (previous) sched_ids_ = previous->sched_ids_;
  sched_current_.assign(sched_ids_.size(), false);
  for (const auto& t : config.tenants) {
    const auto it = std::find(sched_ids_.begin(), sched_ids_.end(), t.id);
    const auto slot = static_cast<std::uint32_t>(it - sched_ids_.begin());
    if (it == sched_ids_.end()) {
      sched_ids_.push_back(t.id);
      sched_current_.push_back(false);
    }
    sched_current_[slot] = true;
    sched_slots_.push_back(slot);
  }
  const std::size_t models = config.models.size();
  metrics.set_max_tenant_series(static_cast<std::size_t>(config.server.max_tenant_series));
  series_.reserve(config.tenants.size() * (models + 1));
  for (const auto& t : config.tenants) {
    for (const auto& m : config.models) series_.push_back(metrics.series(t.id, m.name));
    series_.push_back(metrics.series(t.id, obs::GatewayMetrics::kNone));
  }
  anonymous_ = metrics.series(obs::GatewayMetrics::kNone, obs::GatewayMetrics::kNone);
  for (const auto& r : config.routes) {
    route_counters_.push_back(metrics.routes.route(r.name));
    auto& targets = split_counters_.emplace_back();
    for (const auto& t : r.split) targets.push_back(metrics.routes.split(r.name, t.model));
  }
}

}  // namespace sluice::proxy

namespace sluice::proxy {

GatewayContext::GatewayContext(std::shared_ptr<const ConfigSnapshot> cfg,
                               std::shared_ptr<const balance::RoutingTable> routes,
                               const std::string& access_log_destination)
    : config(std::move(cfg)), routes(std::move(routes)), access_log(access_log_destination) {}

GatewayContext::~GatewayContext() = default;

void GatewayContext::build_schedulers(const ConfigSnapshot& cfg) {
  fairness.reset();
  pools.clear();
  for (std::size_t m = 0; m < cfg.config.models.size(); ++m) {
    const config::SchedulerConfig& s = cfg.config.models[m].scheduler;
    auto pool = std::make_unique<ModelPool>(
        m, sched::FairQueueConfig{.policy = s.policy, .w_input = s.w_input, .w_output = s.w_output,
                                  .batch_promote_after = s.batch_promote_after},
        routes, 0x5eed + m, PoolHealth(cfg.config.models[m].outlier_detection),
        cfg.config.models[m].balance);
    pools.push_back(std::move(pool));
  }
  set_tenant_shares(cfg);
  fairness = start_fleet_fairness(*this, cfg.config.cluster);
}

void GatewayContext::set_tenant_shares(const ConfigSnapshot& cfg) {
  for (std::size_t m = 0; m < pools.size() && m < cfg.config.models.size(); ++m) {
    for (std::uint32_t slot = 0; slot < cfg.sched_tenant_ids().size(); ++slot) {
      if (!cfg.sched_tenant_current(slot)) pools[m]->set_tenant(slot, sched::TenantShare{});
    }
    for (const auto& tenant : cfg.tenants.tenants()) {
      const tenancy::PoolQuota& q = tenant.pools[m];
      pools[m]->set_tenant(cfg.sched_tenant(tenant.index),
                           sched::TenantShare{.weight = tenant.weight, .reserved = q.reserved, .cap = q.cap});
    }
  }
}

void GatewayContext::publish_routes(std::shared_ptr<const balance::RoutingTable> table) {
  routes.publish(std::move(table));
  for (auto& pool : pools) pool->pump();
}

}  // namespace sluice::proxy
