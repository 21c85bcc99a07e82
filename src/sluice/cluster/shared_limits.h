#pragma once
/// The Redis side of shared limits (tenancy/quota_sharing.h): takes leases
/// from the shared buckets for admissions that ran out, gives idle leases
/// and spare slots back, keeps this replica's heartbeat, counts the live
/// replicas, and switches the ledger to its fallback while Redis is away.
///
/// Two threads, each with its own connection: the lease thread runs takes
/// in arrival order (one EVALSHA each: all of a request's items or none);
/// the sync thread, every sync_interval, returns leases and renews the
/// heartbeat in one EVALSHA, and while Redis is down tries again every
/// interval. Any failed call (refused, or no answer within redis_timeout)
/// puts the ledger in its fallback mode at once; the next good sync puts it
/// back to kLeased.
///
/// Thread-safety: take() may be called from any thread; its callback runs
/// on the lease thread and must not block.
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <expected>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "sluice/cluster/redis_connection.h"
#include "sluice/config/cluster_config.h"
#include "sluice/tenancy/quota_ledger.h"

namespace sluice::cluster {

using LeaseResult = std::expected<tenancy::LeaseGrant, std::string>;
using LeaseCallback = std::move_only_function<void(LeaseResult)>;

class SharedLimits {
 public:
  /// `ledger`: the quota ledger of the snapshot now serving (it changes on reload).
  SharedLimits(const config::ClusterConfig& config, std::string replica_id,
               std::shared_ptr<tenancy::QuotaSharing> sharing,
               std::function<std::shared_ptr<tenancy::QuotaLedger>()> ledger);
  ~SharedLimits();
  SharedLimits(const SharedLimits&) = delete;
  SharedLimits& operator=(const SharedLimits&) = delete;

  /// Joins: one sync now (so the replica starts leased when Redis answers,
  /// in its fallback otherwise), then the two threads.
  void start();
  /// Gives the leases back (best effort) and leaves.
  void stop();

  /// Takes `need` from the shared buckets; `done` runs on the lease thread.
  void take(tenancy::LeaseNeed need, LeaseCallback done);

  bool redis_up() const { return up_.load(); }
  int live_replicas() const { return sharing_->replicas.load(); }
  const std::string& replica_id() const { return replica_id_; }
  /// sluice_cluster_* series.
  void render_metrics(std::string& out) const;

 private:
  struct Job {
    tenancy::LeaseNeed need;
    LeaseCallback done;
  };
  void lease_loop();
  void sync_loop();
  /// One sync: the leases to return and the heartbeat; false when Redis failed.
  bool sync_once(RedisConnection& redis);
  void mark_up(int replicas);
  void mark_down(const std::string& why);

  config::ClusterConfig config_;
  std::string replica_id_;
  std::shared_ptr<tenancy::QuotaSharing> sharing_;
  std::function<std::shared_ptr<tenancy::QuotaLedger>()> ledger_;
  RedisAddress address_;

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Job> jobs_;
  bool stopping_ = false;
  std::thread lease_thread_;
  std::thread sync_thread_;

  std::atomic<bool> up_{false};
  std::atomic<std::uint64_t> takes_{0};
  std::atomic<std::uint64_t> take_refusals_{0};
  std::atomic<std::uint64_t> redis_errors_{0};
  std::atomic<std::uint64_t> fallbacks_{0};
};

/// The replica's name when the config gives none: host name and pid.
std::string default_replica_id();

}  // namespace sluice::cluster
