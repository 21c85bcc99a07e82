#pragma once
/// Fleet-wide fairness: every `interval`, each model pool's counter changes
/// since the last sync (sched::FairQueue::take_sync) go to Redis in one
/// round trip per model — a Lua script adds each tenant's delta to a
/// per-model hash (keeping it at least the replica's own counter, so lifts
/// and a Redis that lost its data are covered), records which tenants wait
/// on this replica, and returns every tenant's total and who waits where —
/// and the pool merges the totals back (merge_global). The request path
/// never waits on Redis: it reads the counters the last sync left.
///
/// Redis away: each pool goes back to local fairness (clear_global) at the
/// first failed sync, one warning is logged, synced() is false; the deltas
/// not sent are kept and sent with the first sync that works, which also
/// sends every tenant's counter again. See docs/fairness.md.
///
/// Thread-safety: start() runs the syncs on a thread of its own; synced()
/// may be read from any thread; sync_once() is for tests and must not run
/// while that thread does. The pool hooks are called from the sync thread
/// and must take their own locks.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "sluice/cluster/redis_connection.h"
#include "sluice/core/clock.h"
#include "sluice/sched/fair_queue.h"

namespace sluice::cluster {

/// What the sync needs of one model pool.
struct FairnessPool {
  std::string model;
  std::function<std::vector<sched::CounterSync>(bool all)> take;
  std::function<void(const sched::GlobalCounters&)> merge;
  std::function<void()> clear;
};

struct VtcSyncConfig {
  RedisAddress address;
  std::chrono::milliseconds timeout{50};
  core::Duration interval = std::chrono::milliseconds(20);
  /// This replica's name in the waiting flags.
  std::string replica_id;
  /// sched::GlobalCounters::slack (counter units).
  double slack = 1000;
  /// A replica's waiting flag lapses after this (a replica that died).
  std::chrono::milliseconds waiting_ttl{500};
  std::string key_prefix = "sluice:vtc:";
};

class VtcSync {
 public:
  /// `tenant_ids()`: the tenant id of each scheduler slot (index = slot).
  VtcSync(VtcSyncConfig config, std::vector<FairnessPool> pools,
          std::function<std::vector<std::string>()> tenant_ids);
  ~VtcSync();
  VtcSync(const VtcSync&) = delete;
  VtcSync& operator=(const VtcSync&) = delete;

  /// Starts the sync thread (once).
  void start();
  /// Stops it (waits for the sync in progress: at most the Redis timeout per pool).
  void stop();
  /// Syncs every pool once; true when every pool's round trip worked.
  bool sync_once();
  /// Whether the last sync of every pool worked (sluice_cluster_fairness_synced).
  bool synced() const { return synced_.load(std::memory_order_relaxed); }
  std::uint64_t syncs() const { return syncs_.load(std::memory_order_relaxed); }
  std::uint64_t failures() const { return failures_.load(std::memory_order_relaxed); }

 private:
  struct Carry {  // what a failed sync could not send
    double delta = 0;
    double counter = 0;
    bool waiting = false;
  };
  bool sync_pool(std::size_t index, const std::vector<std::string>& ids, std::string& error);

  VtcSyncConfig config_;
  std::vector<FairnessPool> pools_;
  std::function<std::vector<std::string>()> tenant_ids_;
  RedisConnection redis_;
  RedisScript script_;
  std::vector<std::map<std::uint32_t, Carry>> carry_;  // by pool
  /// Tenants waiting here (by pool; tenant → its counter when last taken):
  /// their flags are refreshed every sync, so they never lapse while they wait.
  std::vector<std::map<std::uint32_t, double>> waiting_;
  bool resend_all_ = true;                            // the first sync, and the first after a failure
  bool warned_ = false;
  std::atomic<bool> synced_{false};
  std::atomic<std::uint64_t> syncs_{0};
  std::atomic<std::uint64_t> failures_{0};
  std::jthread thread_;
};

}  // namespace sluice::cluster
