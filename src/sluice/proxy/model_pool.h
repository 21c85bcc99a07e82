#pragma once
/// The queue in front of one model, in the live gateway: a sched::FairQueue
/// behind a mutex, plus the requests waiting on it. A request enqueues and
/// leaves the queue when the scheduler picks it and some instance of the
/// model has room (balance::pick_with_room); the instance is counted busy
/// from that moment until the request is released. A request that waits
/// longer than its max_queue_wait, or whose client goes away, leaves the
/// queue at once.
///
/// Thread-safety: every member may be called from any I/O thread. A waiting
/// request is woken on its own executor (asio::post), so its timer and
/// socket are only ever touched from their own thread.
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <random>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "sluice/balance/routing_table.h"
#include "sluice/core/snapshot.h"
#include "sluice/net/asio.h"
#include "sluice/proxy/instance_picker.h"
#include "sluice/proxy/pool_health.h"
#include "sluice/route/retry_budget.h"
#include "sluice/sched/fair_queue.h"

namespace sluice::proxy {

/// What one request asks of the pool.
struct PoolTicket {
  std::uint64_t id = 0;
  std::uint32_t tenant = 0;
  sched::Band band = sched::Band::kStandard;
  std::int64_t input_tokens = 0;   // estimate
  std::int64_t output_tokens = 0;  // max_tokens or the model default
  core::Duration max_wait{};
  std::optional<std::int64_t> max_queue;  // the tenant's queued requests in this pool
  std::optional<std::uint64_t> key;       // hash key (consistent_hash, prefix_affinity)
};

enum class AcquireEnd { kGranted, kNoInstance, kOverLimit, kQueueFull, kQueueTimeout, kClientGone, kShuttingDown };

struct Acquired {
  AcquireEnd end = AcquireEnd::kNoInstance;
  std::shared_ptr<balance::Instance> instance;  // set when granted; release() it
  core::Duration waited{};
};

class ModelPool {
 public:
  /// `model_index`: the model's position in the config (and routing table).
  ModelPool(std::size_t model_index, const sched::FairQueueConfig& config,
            const core::Snapshot<balance::RoutingTable>& routes, std::uint64_t seed, PoolHealth health,
            config::BalanceConfig balance);

  /// Sets a tenant's weight, reservation and cap in this pool (at start, and
  /// again on a config reload: queued requests are re-ordered at once).
  void set_tenant(std::uint32_t tenant, const sched::TenantShare& share);
  /// New outlier-detection settings (a config reload); see PoolHealth::reconfigure.
  void set_outlier_detection(const health::OutlierConfig& config);
  /// A reload changed the model's balancing policy.
  void set_balance(const config::BalanceConfig& balance);

  /// Enqueues and waits for an instance with room. `client` is watched for
  /// a close while the request waits.
  net::asio::awaitable<Acquired> acquire(const PoolTicket& ticket, net::tcp::socket& client);
  /// The granted request's try on `from` failed before anything reached the
  /// client: moves its slot to another instance with room, one not in
  /// `tried` (instance serials), without queueing again. Null when there is
  /// none; the request keeps its slot on `from` then.
  std::shared_ptr<balance::Instance> move_to_another(std::uint64_t id, balance::Instance& from,
                                                     std::span<const std::uint64_t> tried);
  /// A slot on an instance with room right now, for a mirrored copy that
  /// must not queue (nor count in the fair queue); null when none has room.
  /// Give it back with give_back().
  std::shared_ptr<balance::Instance> take_spare();
  void give_back(balance::Instance& instance);
  /// What a try on `instance` said about it (passive outlier detection).
  /// Returns the ejection it caused, if any.
  std::optional<health::Ejection> report(balance::Instance& instance, health::Outcome outcome);
  /// The outlier detector's interval sweep, when due (call often: it
  /// returns at once otherwise); then dispatches into room that came back.
  void sweep_if_due(core::TimePoint now);
  /// Output tokens relayed so far (vtc charges overruns as they stream).
  void progress(std::uint64_t id, std::int64_t output_tokens_so_far);
  /// The granted request ended with this usage: frees its slot on the
  /// instance, corrects its charge, and dispatches whoever may go next.
  void release(std::uint64_t id, balance::Instance& instance, std::int64_t input_tokens,
               std::int64_t output_tokens);
  /// Dispatches what can go now (room may have appeared: a scrape, a new
  /// instance).
  void pump();
  /// Fleet-wide fairness (cluster::VtcSync calls these from its thread):
  /// the queue's counter changes since the last sync (sched::FairQueue::take_sync).
  std::vector<sched::CounterSync> take_sync(bool all);
  /// Merges the fleet's counters, then dispatches what may go now (room this
  /// replica left to others may be its own again).
  void merge_global(const sched::GlobalCounters& global);
  /// Redis is away: local fairness again, and dispatches what was held.
  void clear_global();
  /// Shutting down: every queued request leaves the queue and ends with
  /// kShuttingDown (a 503), and new ones are refused the same way.
  void drain();

  struct TenantView {
    std::uint32_t tenant;
    std::size_t queued;
    std::int64_t running;
    double counter;
  };
  struct View {
    std::size_t queued_by_band[sched::kBands];
    std::vector<TenantView> tenants;  // those seen so far
  };
  View view() const;
  std::size_t model_index() const { return model_index_; }
  /// Retries in flight against requests in flight, for this model.
  route::RetryBudget& retry_budget() { return retry_budget_; }

  /// Streams of this model whose engine failed mid-way, by how the client's
  /// stream ended (sluice_stream_continuations_total): spliced (continued
  /// on another instance, or closed normally with nothing left to
  /// generate) or failed (the SSE error event).
  struct ContinuationCounters {
    std::atomic<std::uint64_t> spliced{0};
    std::atomic<std::uint64_t> failed{0};
  };
  ContinuationCounters& continuations() { return continuations_; }
  const ContinuationCounters& continuations() const { return continuations_; }

 private:
  struct Waiter;

  const balance::ModelRoute* route(const balance::RoutingTable& table) const;
  /// The route's room limits with this moment's health: now and panic.
  balance::RoomLimits room_now(const balance::ModelRoute& route, core::TimePoint now) const;
  /// Dispatches while the queue has requests and an instance has room.
  /// `self` receives the instance when the request being enqueued by the
  /// caller is dispatched right away.
  void pump_locked(core::TimePoint now, std::uint64_t self_id, std::shared_ptr<balance::Instance>* self);

  const std::size_t model_index_;
  const core::Snapshot<balance::RoutingTable>& routes_;
  mutable std::mutex mu_;
  sched::FairQueue queue_;
  std::unordered_map<std::uint64_t, std::shared_ptr<Waiter>> waiters_;
  std::unordered_map<std::uint64_t, std::int64_t> slot_tokens_;  // running request → its estimated tokens
  std::vector<std::uint32_t> seen_tenants_;
  bool draining_ = false;
  PoolHealth health_;
  InstancePicker picker_;
  route::RetryBudget retry_budget_;
  ContinuationCounters continuations_;
  core::TimePoint next_sweep_{};
  std::mt19937_64 rng_;
};

}  // namespace sluice::proxy
