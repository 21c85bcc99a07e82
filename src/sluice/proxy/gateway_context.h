#pragma once
/// State shared by every I/O thread of the gateway. Read-mostly parts are
/// immutable snapshots (config + tenants, routing table) that requests borrow
/// for their whole life; the rest are atomics. Thread-safety: all members may
/// be used from any thread.
#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "sluice/balance/routing_table.h"
#include "sluice/config/config.h"
#include "sluice/core/snapshot.h"
#include "sluice/obs/access_log.h"
#include "sluice/obs/gateway_metrics.h"
#include "sluice/route/route_table.h"
#include "sluice/tenancy/tenant_directory.h"

namespace sluice::tenancy {
class QuotaLedger;
}

namespace sluice::proxy {

class ModelPool;

/// A loaded config with what is derived from it. Immutable.
struct ConfigSnapshot {
  ConfigSnapshot(config::Config cfg, std::string_view salt_secret, obs::GatewayMetrics& metrics);

  config::Config config;
  tenancy::TenantDirectory tenants;
  route::RouteTable routes;  // config.routes, compiled

  /// Metrics series of (tenant index, model index); model index
  /// `config.models.size()` is "no model".
  obs::RequestSeries* series(std::size_t tenant, std::size_t model) const {
    return series_[tenant * (config.models.size() + 1) + model];
  }
  /// Series for requests without a tenant (missing or bad key).
  obs::RequestSeries* anonymous_series() const { return anonymous_; }
  /// Counters of route `index` (config.routes order), and of its split targets.
  obs::RouteCounters* route_counters(std::size_t index) const { return route_counters_[index]; }
  std::atomic<std::uint64_t>* split_counter(std::size_t index, std::size_t target) const {
    return split_counters_[index][target];
  }

 private:
  std::vector<obs::RequestSeries*> series_;
  obs::RequestSeries* anonymous_ = nullptr;
  std::vector<obs::RouteCounters*> route_counters_;
  std::vector<std::vector<std::atomic<std::uint64_t>*>> split_counters_;
};

struct GatewayContext {
  GatewayContext(std::shared_ptr<const ConfigSnapshot> cfg, std::shared_ptr<const balance::RoutingTable> routes,
                 const std::string& access_log_destination);
  ~GatewayContext();

  /// Builds the quota ledger and one scheduler per model from `cfg` (once,
  /// before serving).
  void build_schedulers(const ConfigSnapshot& cfg);
  /// Publishes a new routing table and lets every queue use new room at once.
  void publish_routes(std::shared_ptr<const balance::RoutingTable> table);

  core::Snapshot<ConfigSnapshot> config;
  core::Snapshot<balance::RoutingTable> routes;
  obs::GatewayMetrics metrics;
  obs::AccessLog access_log;
  std::atomic<bool> ready{false};     // every instance that must be up is up
  std::atomic<bool> draining{false};  // shutting down: no keep-alive, /readyz 503
  std::unique_ptr<tenancy::QuotaLedger> quotas;
  std::vector<std::unique_ptr<ModelPool>> pools;  // by model index
  std::atomic<std::uint64_t> next_ticket{1};      // scheduler ids
};

}  // namespace sluice::proxy
