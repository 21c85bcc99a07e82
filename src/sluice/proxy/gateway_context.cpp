#include "sluice/proxy/gateway_context.h"

#include <algorithm>

#include "sluice/proxy/model_pool.h"
#include "sluice/tenancy/quota_ledger.h"

namespace sluice::proxy {

ConfigSnapshot::ConfigSnapshot(config::Config cfg, std::string_view salt_secret, obs::GatewayMetrics& metrics,
                               const ConfigSnapshot* previous)
    : config(std::move(cfg)),
      tenants(config, salt_secret),
      routes(config.routes),
      quotas(std::make_shared<tenancy::QuotaLedger>(
          config, std::chrono::time_point_cast<core::Duration>(std::chrono::steady_clock::now()),
          previous ? previous->quotas.get() : nullptr)) {
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

namespace {
health::OutlierConfig outlier_config(const config::OutlierDetectionConfig& c) {
  return health::OutlierConfig{.consecutive_5xx = c.consecutive_5xx,
                               .consecutive_gateway_failure = c.consecutive_gateway_failure,
                               .interval = c.interval,
                               .base_ejection_time = c.base_ejection_time,
                               .max_ejection_time = c.max_ejection_time,
                               .max_ejection_percent = c.max_ejection_percent,
                               .enforce_failure_percentage = c.enforce_failure_percentage,
                               .failure_percentage_threshold = c.failure_percentage_threshold,
                               .failure_percentage_minimum_hosts = c.failure_percentage_minimum_hosts,
                               .failure_percentage_request_volume = c.failure_percentage_request_volume,
                               .panic_threshold_percent = c.panic_threshold_percent};
}
}  // namespace

GatewayContext::GatewayContext(std::shared_ptr<const ConfigSnapshot> cfg,
                               std::shared_ptr<const balance::RoutingTable> routes,
                               const std::string& access_log_destination)
    : config(std::move(cfg)), routes(std::move(routes)), access_log(access_log_destination) {}

GatewayContext::~GatewayContext() = default;

void GatewayContext::build_schedulers(const ConfigSnapshot& cfg) {
  pools.clear();
  for (std::size_t m = 0; m < cfg.config.models.size(); ++m) {
    const config::SchedulerConfig& s = cfg.config.models[m].scheduler;
    auto pool = std::make_unique<ModelPool>(
        m, sched::FairQueueConfig{.policy = s.policy, .w_input = s.w_input, .w_output = s.w_output,
                                  .batch_promote_after = s.batch_promote_after},
        routes, 0x5eed + m, PoolHealth(outlier_config(cfg.config.models[m].outlier_detection),
                                       cfg.config.models[m].outlier_detection.enabled),
        cfg.config.models[m].balance);
    pools.push_back(std::move(pool));
  }
  set_tenant_shares(cfg);
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

void GatewayContext::set_outlier_detection(std::size_t model, const ConfigSnapshot& cfg) {
  if (model >= pools.size() || model >= cfg.config.models.size()) return;
  const config::OutlierDetectionConfig& c = cfg.config.models[model].outlier_detection;
  pools[model]->set_outlier_detection(outlier_config(c), c.enabled);
}

void GatewayContext::publish_routes(std::shared_ptr<const balance::RoutingTable> table) {
  routes.publish(std::move(table));
  for (auto& pool : pools) pool->pump();
}

}  // namespace sluice::proxy
