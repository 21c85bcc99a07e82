#pragma once
/// State shared by every I/O thread of the gateway. Read-mostly parts are
/// immutable snapshots (config + tenants, routing table) that requests borrow
/// for their whole life; the rest are atomics. Thread-safety: all members may
/// be used from any thread.
#include <atomic>
#include <expected>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "sluice/balance/routing_table.h"
#include "sluice/config/config.h"
#include "sluice/core/snapshot.h"
#include "sluice/net/asio.h"
#include "sluice/obs/access_log.h"
#include "sluice/obs/gateway_metrics.h"
#include "sluice/route/route_table.h"
#include "sluice/tenancy/quota_sharing.h"
#include "sluice/tenancy/tenant_directory.h"

namespace sluice::tenancy {
class QuotaLedger;
class BudgetLedger;
struct SoftCrossing;
}
namespace sluice::store {
class UsageWriter;
}
namespace sluice::cluster {
class VtcSync;
}

namespace sluice::proxy {

class ModelPool;

/// The shared buckets' answer to a lease request; unexpected: Redis failed.
using LeaseAnswer = std::expected<tenancy::LeaseGrant, std::string>;
using LeaseDone = std::move_only_function<void(LeaseAnswer)>;

/// A loaded config with what is derived from it. Immutable, but for the
/// quota ledger's counts.
struct ConfigSnapshot {
  /// `previous`: the snapshot this one replaces (a reload), whose tenants'
  /// quota state and scheduler slots carry over by tenant id; its model
  /// list must be the same.
  ConfigSnapshot(config::Config cfg, std::string_view salt_secret, obs::GatewayMetrics& metrics,
                 const ConfigSnapshot* previous = nullptr);

  config::Config config;
  tenancy::TenantDirectory tenants;
  route::RouteTable routes;  // config.routes, compiled
  /// Admission quotas of these tenants (by tenant index). A request uses the
  /// ledger of the snapshot it borrowed, so a reload never pulls it from
  /// under the request; tenants that stay share their state across ledgers.
  std::shared_ptr<tenancy::QuotaLedger> quotas;
  /// Spend caps of these tenants and their keys, carried over the same way
  /// (by tenant and key id). The gateway seeds it from the usage ledger.
  std::shared_ptr<tenancy::BudgetLedger> budgets;

  /// The tenant's id in the model pools' fair queues: fixed for a tenant id
  /// for the process lifetime, so a reload that removes or reorders tenants
  /// does not mix their queue state (tenant indices are per snapshot).
  std::uint32_t sched_tenant(std::size_t tenant) const { return sched_slots_[tenant]; }
  /// Every scheduler tenant id handed out so far → tenant id (tenants a
  /// reload removed keep theirs).
  const std::vector<std::string>& sched_tenant_ids() const { return sched_ids_; }
  /// Whether scheduler tenant `slot` belongs to a tenant of this config.
  bool sched_tenant_current(std::uint32_t slot) const { return slot < sched_current_.size() && sched_current_[slot]; }

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
  std::vector<std::uint32_t> sched_slots_;  // by tenant index
  std::vector<std::string> sched_ids_;      // by slot
  std::vector<bool> sched_current_;         // by slot
};

struct GatewayContext {
  GatewayContext(std::shared_ptr<const ConfigSnapshot> cfg, std::shared_ptr<const balance::RoutingTable> routes,
                 const std::string& access_log_destination);
  ~GatewayContext();

  /// Builds one scheduler per model from `cfg` (once, before serving).
  void build_schedulers(const ConfigSnapshot& cfg);
  /// Gives every model pool the tenant shares of `cfg` (a reload: before
  /// `cfg` is published). Scheduler tenants `cfg` no longer has lose their
  /// reservation; their requests still queued or running finish normally.
  void set_tenant_shares(const ConfigSnapshot& cfg);
  /// Publishes a new routing table and lets every queue use new room at once.
  void publish_routes(std::shared_ptr<const balance::RoutingTable> table);

  core::Snapshot<ConfigSnapshot> config;
  core::Snapshot<balance::RoutingTable> routes;
  obs::GatewayMetrics metrics;
  obs::AccessLog access_log;
  /// Called (on an I/O thread; it must not block) when a budget's spend
  /// crosses its soft threshold, once per budget and period: for the audit log.
  std::function<void(const tenancy::SoftCrossing&)> on_budget_soft;
  std::atomic<bool> ready{false};     // every instance that must be up is up
  std::atomic<bool> draining{false};  // shutting down: no keep-alive, /readyz 503
  std::vector<std::unique_ptr<ModelPool>> pools;  // by model index
  /// Fleet-wide fairness (cluster.redis set): shares the pools' counters;
  /// declared after `pools`, so it stops before they go.
  std::unique_ptr<cluster::VtcSync> fairness;
  /// The usage ledger's queue: every finished request of a tenant is
  /// recorded there (null: no ledger, e.g. in tests).
  store::UsageWriter* usage = nullptr;
  /// A tenant's own usage or remaining quota (GET /v1/sluice/…): (path,
  /// query, tenant id) → status, content type, body. It reads the store, so
  /// it runs on `blocking`, never on an I/O thread. Unset: 404.
  struct TenantStateReply {
    int status = 404;
    std::string content_type = "application/json";
    std::string body;
  };
  std::function<TenantStateReply(std::string_view path, std::string_view query, const std::string& tenant)>
      tenant_state;
  net::asio::thread_pool* blocking = nullptr;
  /// Several replicas: takes a lease from the shared limits; `done` runs on
  /// another thread. Unset: this gateway is alone.
  std::function<void(tenancy::LeaseNeed, LeaseDone)> take_lease;
  std::atomic<std::uint64_t> next_ticket{1};      // scheduler ids
  /// Config reloads (SIGHUP, POST /admin/reload), for /metrics.
  struct Reloads {
    std::mutex mu;  // one reload at a time
    std::atomic<std::uint64_t> ok{0};
    std::atomic<std::uint64_t> failed{0};
    std::atomic<double> last_success_unix{0};  // the startup load counts
  } reloads;
};

}  // namespace sluice::proxy
