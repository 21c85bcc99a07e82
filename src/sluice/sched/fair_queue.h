#pragma once
/// The queue in front of one model pool: strict priority bands, and inside
/// a band one of three policies — `fcfs`, `round_robin` over tenants, or
/// `vtc`, weighted fair sharing of tokens after virtual token counters
/// ("Fairness in Serving Large Language Models", Sheng et al., OSDI 2024).
///
/// VTC: each tenant has a counter of the service it received, in weighted
/// tokens (w_input · input + w_output · output) divided by its weight. The
/// tenant with the smallest counter goes next. A tenant that becomes active
/// again is lifted to the smallest counter among the tenants waiting that
/// may be dispatched (a tenant waiting at its cap does not count), or, when
/// nobody is waiting, to the counter of the last tenant that left the queue;
/// so nobody banks credit while idle. The estimate is charged at dispatch,
/// output beyond it as it streams, and the real usage corrects it at the end.
///
/// Bands: `critical` before `standard` before `batch`, strictly; a `batch`
/// request that has waited `batch_promote_after` is promoted to `standard`
/// (aging), keeping its place by arrival.
///
/// Fixed quotas per tenant: `reserved` running requests are guaranteed — a
/// tenant below its reservation goes before everyone else when a slot frees
/// (others use the slots while it is idle) — and `cap` is never exceeded,
/// even when capacity is idle.
///
/// The queue does not know the pool's capacity: the caller dispatches only
/// while some instance has room, and reports every dispatched request's end.
///
/// Several replicas (fleet-wide fairness, docs/fairness.md): each replica
/// keeps its own queue; a cluster thread takes the counter changes since the
/// last sync (take_sync), adds them to fleet-wide totals, and hands the
/// totals back (merge_global). A replica then also holds back a tenant whose
/// counter is more than `slack` above a tenant waiting on another replica,
/// so that replica takes the room instead.
///
/// Pure: no clock reads, no I/O; time comes in as arguments.
/// Thread-safety: none; the caller serialises (one short critical section
/// per model pool).
#include <cstdint>
#include <deque>
#include <optional>
#include <set>
#include <unordered_map>
#include <vector>

#include "sluice/config/config.h"
#include "sluice/core/clock.h"

namespace sluice::sched {

using Policy = config::SchedPolicy;
using Band = config::Priority;  // kCritical < kStandard < kBatch: lower goes first
inline constexpr int kBands = 3;

struct FairQueueConfig {
  Policy policy = Policy::kVtc;
  double w_input = 1.0;
  double w_output = 2.0;
  /// A batch request queued this long moves to the standard band; 0 = never.
  core::Duration batch_promote_after{0};
};

/// A tenant's share of one pool.
struct TenantShare {
  double weight = 1.0;        // > 0
  std::int64_t reserved = 0;  // guaranteed running requests
  std::int64_t cap = 0;       // most running requests; 0 = no cap
};

struct QueuedRequest {
  std::uint64_t id = 0;
  std::uint32_t tenant = 0;
  Band band = Band::kStandard;
  std::int64_t input_tokens = 0;    // estimate
  std::int64_t output_tokens = 0;   // estimate: max_tokens or the model default
  core::TimePoint enqueued{};
};

/// One tenant's change since the last sync, for the fleet-wide totals.
struct CounterSync {
  std::uint32_t tenant = 0;
  double delta = 0;        // counter increments charged here (charges and corrections, not lifts)
  double counter = 0;      // the local counter now (a lift shows here: totals take the max)
  bool waiting = false;    // queued here and below its cap: a candidate for the next dispatch
};

/// The fleet-wide state a sync brings back.
struct GlobalCounters {
  /// Fleet-wide counter per tenant (the sum of every replica's deltas, at
  /// least any replica's own counter). Tenants missing keep their local one.
  std::vector<std::pair<std::uint32_t, double>> counters;
  /// Tenants waiting on some other replica.
  std::vector<std::uint32_t> waiting_elsewhere;
  /// How far above the lowest tenant waiting elsewhere a tenant may be and
  /// still be dispatched here (counter units); bounds the held-back room.
  double slack = 0;
};

class FairQueue {
 public:
  explicit FairQueue(FairQueueConfig config = {});

  const FairQueueConfig& config() const { return config_; }
  /// Sets a tenant's weight, reservation and cap; tenants default to {1, 0, 0}.
  void set_tenant(std::uint32_t tenant, const TenantShare& share);

  void enqueue(const QueuedRequest& request);
  /// Removes a queued request (its client went away, or it waited too
  /// long). False if it is not queued (already dispatched, or unknown).
  bool remove(std::uint64_t id);
  /// The next request to run at `now`, charged its estimate; nullopt when
  /// nothing queued may run (empty, or every waiting tenant at its cap).
  std::optional<QueuedRequest> dispatch(core::TimePoint now);
  /// Like dispatch, but only a request of a tenant below its reservation:
  /// reserved slots may go above the pool's usual room (see dispatch_loop.h).
  std::optional<QueuedRequest> dispatch_reserved(core::TimePoint now);
  /// Running requests reserved over all tenants (the extra room they may use).
  std::int64_t total_reserved() const { return total_reserved_; }

  /// Output tokens streamed so far for a dispatched request: charges what
  /// goes beyond its estimate, at once.
  void on_progress(std::uint64_t id, std::int64_t output_tokens_so_far);
  /// The request ended with its real usage: corrects the charge (a refund
  /// when it used less than estimated), frees its running slot, forgets it.
  void on_complete(std::uint64_t id, std::int64_t input_tokens, std::int64_t output_tokens);

  /// Fleet-wide fairness. The counter changes of every tenant touched since
  /// the last call (`all`: of every tenant seen), and forgets the deltas.
  std::vector<CounterSync> take_sync(bool all = false);
  /// Sets each listed tenant's counter to its fleet-wide total plus what was
  /// charged here since take_sync (never lowering it), and holds back (vtc
  /// only), until the next merge, every tenant more than `slack` above the
  /// lowest tenant waiting on another replica; a tenant back from idle is
  /// lifted to at least that one. The hold is decided on the merged
  /// counters, which every replica sees alike, so two replicas never hold
  /// for each other (their own charges since would make them).
  void merge_global(const GlobalCounters& global);
  /// Back to local fairness (the fleet-wide state is stale: Redis is away).
  void clear_global();
  /// The hold at the last merge: tenants whose counter was above it are held.
  std::optional<double> ceiling() const { return ceiling_; }
  /// Dispatches that returned nothing because of the hold (the room was left
  /// to another replica).
  std::uint64_t held() const { return held_; }

  std::size_t size() const { return by_id_.size(); }
  std::size_t size(Band band) const { return band_size_[static_cast<int>(band)]; }
  std::size_t running() const { return running_.size(); }
  /// The tenant's virtual counter (weighted tokens / weight).
  double counter(std::uint32_t tenant) const;
  std::size_t queued(std::uint32_t tenant) const;
  std::int64_t running(std::uint32_t tenant) const;

 private:
  struct Key {  // ordering of active tenants inside a band
    double counter;
    std::uint64_t seq;  // FIFO among equal counters / round-robin turn
    std::uint32_t tenant;
    bool operator<(const Key& o) const {
      if (counter != o.counter) return counter < o.counter;
      if (seq != o.seq) return seq < o.seq;
      return tenant < o.tenant;
    }
  };
  struct Entry {
    std::uint64_t seq;  // arrival order across the whole queue
    QueuedRequest request;
  };
  struct TenantState {
    TenantShare share;
    double counter = 0.0;
    std::uint64_t turn = 0;    // round_robin: position in the rotation
    std::size_t queued = 0;    // over all bands
    std::int64_t running = 0;  // dispatched, not completed
    std::deque<Entry> queue[kBands];   // per band, by arrival
    std::optional<Key> key[kBands];    // set while in active_[band]
    double unsynced = 0.0;             // counter increments since take_sync
    bool touched = false;              // in touched_
    bool seen = false;                 // ever enqueued here
    bool held = false;                 // ahead of a tenant waiting elsewhere, at the last merge
  };
  struct Running {
    std::uint32_t tenant;
    double charged;  // weighted tokens charged so far (not divided by weight)
    std::int64_t input_tokens;
  };

  TenantState& state(std::uint32_t tenant);
  double cost(std::int64_t input, std::int64_t output) const;
  bool eligible(const TenantState& t) const { return t.share.cap <= 0 || t.running < t.share.cap; }
  Key key_for(const TenantState& t, std::uint32_t tenant, int band) const;
  /// Puts the tenant's band in the active set with a fresh key, or takes it
  /// out when it is empty or the tenant is at its cap.
  void rekey(std::uint32_t tenant, int band);
  void rekey_all(std::uint32_t tenant);
  void charge(std::uint32_t tenant, double weighted_tokens);
  void touch(std::uint32_t tenant);
  bool waiting(const TenantState& t) const;
  void promote_aged(core::TimePoint now);
  /// Among tenants below their reservation, the (band, tenant) to serve first.
  std::optional<std::pair<int, std::uint32_t>> reserved_candidate() const;
  QueuedRequest take(std::uint32_t tenant, int band);

  FairQueueConfig config_;
  std::vector<TenantState> tenants_;  // indexed by tenant id (dense)
  std::unordered_map<std::uint64_t, std::pair<std::uint32_t, int>> by_id_;  // queued: tenant, band
  std::unordered_map<std::uint64_t, Running> running_;
  std::set<Key> active_[kBands];
  std::vector<std::uint32_t> reserving_;  // tenants with a reservation
  std::deque<std::pair<core::TimePoint, std::uint64_t>> batch_arrivals_;  // aging: (enqueued, id)
  std::size_t band_size_[kBands] = {0, 0, 0};
  std::int64_t total_reserved_ = 0;
  double last_left_counter_ = 0.0;  // counter of the tenant that last emptied the queue
  std::uint64_t seq_ = 0;
  std::vector<std::uint32_t> touched_;            // tenants changed since take_sync
  std::optional<double> ceiling_;                 // fleet-wide hold (vtc), see merge_global
  std::optional<double> remote_floor_;            // lowest counter waiting on another replica
  std::uint64_t held_ = 0;
};

}  // namespace sluice::sched
