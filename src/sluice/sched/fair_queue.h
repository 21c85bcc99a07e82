#pragma once
/// The queue in front of one model pool: strict priority bands, and inside
/// a band one of three policies — `fcfs`, `round_robin` over tenants, or
/// `vtc`, weighted fair sharing of tokens after virtual token counters
/// ("Fairness in Serving Large Language Models", Sheng et al., OSDI 2024).
///
/// VTC: each tenant has a counter of the service it received, in weighted
/// tokens (w_input · input + w_output · output) divided by its weight. The
/// tenant with the smallest counter goes next. A tenant that becomes active
/// again is lifted to the smallest counter among the tenants still waiting,
/// so nobody banks credit while idle. The estimate is charged at dispatch,
/// output beyond it as it streams, and the real usage corrects it at the end.
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

enum class Policy { kFcfs, kRoundRobin, kVtc };
using Band = config::Priority;  // kCritical < kStandard < kBatch: lower goes first

struct FairQueueConfig {
  Policy policy = Policy::kVtc;
  double w_input = 1.0;
  double w_output = 2.0;
};

struct QueuedRequest {
  std::uint64_t id = 0;
  std::uint32_t tenant = 0;
  Band band = Band::kStandard;
  std::int64_t input_tokens = 0;    // estimate
  std::int64_t output_tokens = 0;   // estimate: max_tokens or the model default
  core::TimePoint enqueued{};
};

class FairQueue {
 public:
  explicit FairQueue(FairQueueConfig config = {});

  /// Sets a tenant's weight (> 0); tenants default to weight 1.
  void set_weight(std::uint32_t tenant, double weight);

  void enqueue(const QueuedRequest& request);
  /// Removes a queued request (its client went away). False if not queued.
  bool remove(std::uint64_t id);
  /// The next request to run, charged its estimate; nullopt when empty.
  std::optional<QueuedRequest> dispatch();

  /// Output tokens streamed so far for a dispatched request: charges what
  /// goes beyond its estimate, at once.
  void on_progress(std::uint64_t id, std::int64_t output_tokens_so_far);
  /// The request ended with its real usage: corrects the charge (a refund
  /// when it used less than estimated) and forgets the request.
  void on_complete(std::uint64_t id, std::int64_t input_tokens, std::int64_t output_tokens);

  std::size_t size() const { return by_id_.size(); }
  std::size_t size(Band band) const;
  /// The tenant's virtual counter (weighted tokens / weight).
  double counter(std::uint32_t tenant) const;

 private:
  struct Entry {
    std::uint64_t seq;  // arrival order across the whole queue
    QueuedRequest request;
  };
  struct TenantState {
    double weight = 1.0;
    double counter = 0.0;
    std::uint64_t turn = 0;   // round_robin: position in the rotation
    std::size_t queued = 0;   // over all bands
    std::deque<Entry> queue[3];  // per band, FIFO
  };
  struct Running {
    std::uint32_t tenant;
    double charged;  // weighted tokens charged so far (not divided by weight)
    std::int64_t input_tokens;
    std::int64_t output_estimate;
  };
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

  double cost(std::int64_t input, std::int64_t output) const;
  void charge(std::uint32_t tenant, double weighted_tokens);
  Key key_for(std::uint32_t tenant, int band) const;
  void activate(std::uint32_t tenant, int band);
  void deactivate(std::uint32_t tenant, int band);

  FairQueueConfig config_;
  std::unordered_map<std::uint32_t, TenantState> tenants_;
  std::unordered_map<std::uint64_t, std::pair<std::uint32_t, int>> by_id_;  // queued: tenant, band
  std::unordered_map<std::uint64_t, Running> running_;
  std::set<Key> active_[3];
  std::unordered_map<std::uint32_t, Key> active_key_[3];
  std::uint64_t seq_ = 0;
};

}  // namespace sluice::sched
