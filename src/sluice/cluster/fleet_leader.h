#pragma once
/// One fleet leader among the replicas: a thread that holds or seeks the
/// lease (leader_lease.h) and moves the fleet's routing table through Redis.
///
/// - Follower: tries to acquire the lease every sync_interval; reads the
///   published table (`<prefix>table`) and hands it to Hooks::follow when it
///   changed.
/// - Leader: renews the lease; publishes Hooks::snapshot() with a fenced
///   write (only while the lease is still ours) at once after changed() and
///   at least every sync_interval; steps down (Hooks::stand_down) when it
///   cannot renew in time or finds the lease taken.
/// - Every replica writes a heartbeat (`<prefix>replicas`, a sorted set of
///   replica → unix ms), so a leader shutting down knows whether anyone is
///   left to adopt its engines.
///
/// The table is opaque here (provider/published_fleet.h writes and reads
/// it): cluster/ knows nothing of instances.
///
/// Thread-safety: the hooks run on the leadership thread and must not
/// block for long (post work to the control thread). leader(), epoch(),
/// leader_id(), has_table() and render_metrics() may be called from any
/// thread; fence() from any one thread at a time (it owns one connection).
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <expected>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "sluice/cluster/leader_lease.h"
#include "sluice/config/cluster_config.h"

namespace sluice::cluster {

class FleetLeadership {
 public:
  struct Hooks {
    /// Became the leader at `epoch`. `table`: the last table any leader
    /// published ("" when none): the fleet to adopt.
    std::function<void(std::int64_t epoch, std::string table)> lead;
    /// No longer the leader (`why`): stop driving providers at once.
    std::function<void(std::string why)> stand_down;
    /// Leader: the table to publish for `epoch`; nullopt while there is
    /// nothing to publish yet (the adoption is still running).
    std::function<std::optional<std::string>(std::int64_t epoch)> snapshot;
    /// Follower: a table read from Redis that differs from the last one.
    std::function<void(std::string table)> follow;
  };

  FleetLeadership(const config::ClusterConfig& cluster, std::string replica, Hooks hooks);
  ~FleetLeadership();
  FleetLeadership(const FleetLeadership&) = delete;
  FleetLeadership& operator=(const FleetLeadership&) = delete;

  void start();
  /// Stops the thread and this replica's heartbeat. A leader keeps its
  /// lease (it expires, or hand_over() / finish() end it).
  void stop();
  /// After stop(), a leader shutting down hands the fleet over: publishes
  /// `last`, releases the lease and waits up to `wait` for another replica
  /// to take it. False when none did: the lease is then this replica's
  /// again (a new epoch), and it should stop the engines and finish().
  bool hand_over(const std::string& last, core::Duration wait);
  /// After stop(): publishes `last` (e.g. an empty fleet) while the lease is
  /// ours, and releases it.
  void finish(const std::string& last);
  /// Live replicas other than this one (heartbeats within replica_ttl).
  /// -1 when Redis is not reachable.
  int other_replicas();

  /// The leader's table changed: publish it now rather than at the next interval.
  void changed();

  bool leader() const { return leader_.load(); }
  std::int64_t epoch() const { return epoch_.load(); }
  /// The current leader's replica id ("" while unknown).
  std::string leader_id() const;
  bool has_table() const { return has_table_.load(); }
  const std::string& replica() const { return replica_; }

  /// The fencing check before a provider action: this replica holds the
  /// lease, and Redis still says so for its epoch.
  std::expected<void, std::string> fence();

  /// sluice_cluster_leader, sluice_cluster_leader_epoch, sluice_cluster_leader_changes_total.
  void render_metrics(std::string& out) const;

 private:
  void run();
  void step(core::TimePoint now);
  void publish_or_follow(core::TimePoint now);
  void heartbeat();
  void become_follower(std::string why, core::TimePoint now);
  void set_leader_id(std::string id);
  int count_others(RedisConnection& redis);

  config::ClusterConfig cluster_;
  std::string replica_;
  std::string prefix_;
  Hooks hooks_;
  RedisConnection redis_;        // the leadership thread's
  RedisConnection fence_redis_;  // fence()'s (the control thread's)
  std::mutex fence_mu_;
  LeaseDecider decider_;
  RedisLease lease_;

  std::thread thread_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  bool changed_ = false;
  std::string leader_id_;  // under mu_
  std::atomic<bool> leader_{false};
  std::atomic<std::int64_t> epoch_{0};
  std::atomic<bool> has_table_{false};
  std::atomic<std::uint64_t> terms_{0};  // times this replica became the leader
  std::string last_table_;               // follower: the last table handed over
  core::TimePoint last_publish_{};
  core::TimePoint last_heartbeat_{};
  bool redis_down_logged_ = false;
};

}  // namespace sluice::cluster
