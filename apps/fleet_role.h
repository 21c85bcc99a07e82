#pragma once
/// The fleet's role in `sluice serve`. Alone, this gateway drives its own
/// fleet. With `cluster.redis`, exactly one replica — the holder of the
/// fleet lease (cluster/fleet_leader.h) — runs the reconcile loop and the
/// providers, fenced by its epoch; the others route to the instances it
/// publishes (provider/published_fleet.h), are ready once they have that
/// table, and answer fleet changes with 409 and the leader's id.
///
/// When the leader dies, its engines keep running (they outlive it: no
/// PR_SET_PDEATHSIG) and the replica that takes the lease over adopts them
/// by their published addresses and pids; nothing is restarted. A leader
/// that shuts down cleanly hands its engines over the same way when other
/// replicas are live, and stops them when it is the last one.
///
/// Thread-safety: made, started and stopped on the main thread; serving()
/// from any thread; handle_admin() and render_metrics() on the control
/// thread; the leadership hooks post their work to the control thread.
#include <atomic>
#include <expected>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "sluice/cluster/fleet_leader.h"
#include "sluice/config/config.h"
#include "sluice/net/asio.h"
#include "sluice/provider/fenced_provider.h"
#include "sluice/provider/fleet_controller.h"
#include "sluice/provider/process_provider.h"
#include "sluice/provider/published_fleet.h"

namespace sluice::app {

class FleetRole {
 public:
  FleetRole(const config::Config& cfg, net::asio::io_context& control, provider::ProcessProvider& processes);
  ~FleetRole();
  FleetRole(const FleetRole&) = delete;
  FleetRole& operator=(const FleetRole&) = delete;

  /// What the controller drives: the processes, fenced by the lease in a cluster.
  provider::Provider& provider() { return fenced_; }
  /// The controller, and how to rebuild the routing table. Before start().
  void attach(provider::FleetController& fleet, std::function<void()> republish);

  /// The instances of `model` to route to: the controller's on the leader
  /// (or alone), the published table's on a follower.
  std::vector<std::shared_ptr<balance::Instance>> serving(std::string_view model) const;
  /// The leader's fleet changed: publish it now.
  void changed();

  /// Alone: starts the controller. In a cluster: starts seeking the lease.
  void start();
  /// Blocks until this replica can serve: its fleet serves its minimum (alone
  /// or leader), or it has the leader's table (follower).
  std::expected<void, std::string> wait_ready(core::Duration timeout);

  /// /admin/fleet: the controller's on the leader; on a follower GET shows
  /// the published fleet and changes answer 409 with the leader's id.
  std::pair<int, std::string> handle_admin(net::http::verb method, std::string_view path, std::string_view body);
  void render_metrics(std::string& out) const;

  /// The gateway is shutting down (after its drain): a leader hands its
  /// engines over when other replicas are live, else stops them (`grace`).
  void stop(core::Duration grace);

  bool clustered() const { return leadership_ != nullptr; }
  bool driving() const { return !clustered() || driving_.load(); }

 private:
  void on_lead(std::int64_t epoch, const std::string& table);
  void on_stand_down(const std::string& why);
  void on_follow(const std::string& table);
  void schedule_reap();
  std::string published(std::int64_t epoch, std::vector<provider::FleetMember> members) const;

  const config::Config& cfg_;
  net::asio::io_context& control_;
  provider::ProcessProvider& processes_;
  provider::FencedProvider fenced_;
  provider::FleetController* fleet_ = nullptr;
  std::function<void()> republish_;
  std::unique_ptr<cluster::FleetLeadership> leadership_;
  provider::RemoteFleet remote_;
  std::atomic<bool> driving_{false};
  std::unique_ptr<net::asio::steady_timer> reap_timer_;
  bool stopped_ = false;
};

/// This replica's name: cluster.replica_id, or "<host name>-<pid>".
std::string replica_name(const config::ClusterConfig& cluster);

}  // namespace sluice::app
