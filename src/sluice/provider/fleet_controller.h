#pragma once
/// The fleet's I/O shell (ARCHITECTURE.md, "The fleet"): observes the
/// instances of the managed models (process exits, active checks and
/// ejections from the routing layer, queue depths), asks fleet::plan() what
/// to do, and carries the actions out through a Provider and the engines'
/// HTTP API (/health, /sleep?level=1, /wake_up). After every change to the
/// serving set it republishes the routing table. It records every failover
/// (fleet::FailoverLog) and serves the admin API under /admin/fleet.
///
/// Lives in provider/ beside the providers it drives; the decisions stay in
/// fleet/, which does no I/O.
///
/// Thread-safety: runs on the control io_context (one thread). serving(),
/// json() and render_metrics() may be called from other threads too; one
/// recursive mutex guards the records (republish runs under it and calls
/// serving()).
#include <deque>
#include <expected>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "sluice/balance/routing_table.h"
#include "sluice/config/config.h"
#include "sluice/fleet/crash_backoff.h"
#include "sluice/fleet/desired.h"
#include <nlohmann/json.hpp>

#include "sluice/fleet/failover_log.h"
#include "sluice/fleet/lifecycle.h"
#include "sluice/fleet/reconcile.h"
#include "sluice/fleet/zone_watch.h"
#include "sluice/net/asio.h"
#include "sluice/provider/provider.h"
#include "sluice/provider/published_fleet.h"

namespace sluice::provider {

/// A failover record as GET /admin/fleet and the store's failover log show it.
nlohmann::json failover_json(const fleet::Failover& f);

class FleetController {
 public:
  struct Hooks {
    /// Rebuilds and publishes the routing table (it calls serving()).
    std::function<void()> republish;
    /// Requests waiting in model `index`'s queue.
    std::function<std::int64_t(std::size_t index)> queued;
    /// A failover record was opened or changed (replaced, recovered,
    /// restored): its id (unique across restarts), model, detection time
    /// (unix ms) and JSON, for the store's failover log. Called on the
    /// control thread after a reconcile round; it must not block.
    std::function<void(std::string id, std::string model, std::int64_t detected_ms, std::string json)> failover_changed;
  };

  FleetController(net::asio::io_context& control, const config::Config& config, Provider& provider, Hooks hooks);
  ~FleetController();
  FleetController(const FleetController&) = delete;
  FleetController& operator=(const FleetController&) = delete;

  /// Starts reconciling (every fleet.reconcile_interval, and at once after
  /// an event). Call once, after the control io_context runs.
  void start();
  /// Blocks until every managed model serves its minimum, or says what did
  /// not come up within `timeout` (an instance that failed to start, or
  /// what could not be placed).
  std::expected<void, std::string> wait_until_serving(core::Duration timeout);
  /// SIGCHLD: reaps exits and fails the instances at once.
  void on_child_exit();
  /// The gateway is shutting down: stops reconciling, and an instance that
  /// exits from now on is stopped, not failed (the instances keep serving
  /// until stop()).
  void begin_stop();
  /// Stops reconciling and every instance (SIGTERM, `grace`, SIGKILL).
  void stop(core::Duration grace);

  /// Several replicas (fleet_adopt.cpp): every running instance as the
  /// leader publishes it for the other replicas (provider/published_fleet.h).
  std::vector<FleetMember> members() const;
  /// The routing object of instance `id`, or null.
  std::shared_ptr<balance::Instance> instance_of(std::string_view id) const;
  /// This replica became the fleet leader: takes over the instances the last
  /// leader published (those the provider can adopt: alive, at their
  /// address), keeping the instance objects `existing` gives (the routes
  /// the follower used), then reconciles from there. Call start() next.
  void adopt(const std::vector<FleetMember>& members,
             const std::function<std::shared_ptr<balance::Instance>(std::string_view id)>& existing);
  /// This replica is no longer the leader: stops reconciling and forgets
  /// the instances without touching them (the new leader adopts them).
  void stand_down();

  /// The serving instances of `model` (hot, in rotation), by id.
  std::vector<std::shared_ptr<balance::Instance>> serving(std::string_view model) const;
  /// The /admin/fleet API: (method, path, body) → (status, JSON).
  std::pair<int, std::string> handle_admin(net::http::verb method, std::string_view path, std::string_view body);
  /// GET /admin/fleet.
  std::string json() const;
  /// sluice_fleet_* metrics.
  void render_metrics(std::string& out) const;

 private:
  struct Record {
    std::string id;
    std::size_t model = 0;
    int ordinal = 0;
    fleet::Lifecycle life;
    fleet::Role role = fleet::Role::kServing;
    std::vector<std::size_t> gpus;
    bool busy = false;
    bool sleep_when_loaded = false;
    bool stopping = false;  // a stop was asked: its exit is not a failure
    std::shared_ptr<balance::Instance> route;
    int pid = -1;
    core::TimePoint last_active{};
    std::uint64_t successes_seen = 0;
    std::optional<core::TimePoint> fault_onset;  // an injected fault, for detection times
    std::string fault_kind;
    std::string replaces;  // a move: the instance to drain and stop once this one serves
    std::string takes_over_from;  // a move back: the instance that becomes a hot standby once this one serves
    bool served = false;          // it has been in rotation
  };

  void schedule_tick();
  void reconcile();
  fleet::Observed observe(core::TimePoint now);
  void note_settled(core::TimePoint now);
  void execute(const fleet::Action& action, core::TimePoint now);
  void start_instance(Record& r, const fleet::Action& action, core::TimePoint now);
  void fail(Record& r, const std::string& cause, core::TimePoint now);
  Record* find(std::string_view id);
  const Record* find(std::string_view id) const;
  std::string node_of(const Record& r) const;
  std::string zone_of(const Record& r) const;
  std::string failure_cause(const Record& r, const std::string& fallback) const;
  void count_zone_failure(const Record& r, core::TimePoint now);
  void count_crash(const Record& r, core::TimePoint now);
  void recover_zones(core::TimePoint now);
  void hand_over(Record& r, core::TimePoint now);

  net::asio::awaitable<void> bring_up(std::string id, core::TimePoint deadline);
  net::asio::awaitable<void> wake(std::string id);
  net::asio::awaitable<void> drain_then(std::string id, bool sleep);
  net::asio::awaitable<void> send_engine_fault(std::string host, std::uint16_t port, net::http::verb verb,
                                               std::string body);

  std::pair<int, std::string> inject_fault(std::string_view body);
  std::pair<int, std::string> clear_faults();
  std::pair<int, std::string> planned(std::string_view op, std::string_view body);

  net::asio::io_context& io_;
  config::Config config_;
  Provider& provider_;
  Hooks hooks_;
  fleet::Desired desired_;
  std::string exe_;
  std::shared_ptr<net::asio::steady_timer> timer_;
  mutable std::recursive_mutex mu_;
  std::vector<std::unique_ptr<Record>> records_;
  std::vector<int> next_ordinal_;  // per model
  fleet::FailoverLog log_;
  std::set<std::string> down_nodes_;
  std::set<std::string> down_zones_;       // injected or detected
  fleet::ZoneWatch zone_watch_;
  fleet::CrashBackoff crash_backoff_;
  std::map<std::string, int> corrupt_loads_;  // model → loads left to fail
  std::vector<std::string> unplaced_;
  std::vector<bool> was_settled_;
  std::vector<bool> settled_once_;  // per model: its first fleet is up; later starts load from disk
  std::string start_error_;  // the last instance that failed to come up, for wait_until_serving
  // Counters for metrics.
  std::map<std::string, std::uint64_t> failovers_by_cause_;
  /// What was last handed to Hooks::failover_changed, by record seq.
  std::map<std::uint64_t, std::string> reported_failovers_;
  std::int64_t run_id_ = 0;  // unix ms at construction: failover ids stay unique across restarts
  void report_failovers();
  std::map<std::string, std::uint64_t> actions_by_kind_;
  bool stopped_ = false;
};

}  // namespace sluice::provider
