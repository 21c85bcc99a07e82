#pragma once
/// The fleet's reconcile step (ARCHITECTURE.md, "The fleet"): given what is
/// desired (per model: serving minimum and maximum, standbys by temperature,
/// zones, GPU needs) and what is observed (instances, their state and
/// health, failed nodes and zones, queue depths), the actions that move the
/// second towards the first. Pure and deterministic: the same inputs give
/// the same actions; time is an argument. The controller (provider/
/// fleet_controller.h) carries the actions out and calls plan() again.
///
/// One pass, in this order:
///   1. Failures: an instance on a failed node or zone, or a serving one
///      that is no longer healthy, fails (a cold reservation there is
///      forgotten); ended instances are forgotten.
///   2. Models by priority (critical, high, normal; then config order):
///      a. serving: keep between the minimum and the maximum. A missing
///         serving instance is replaced by the best standby — hot (put in
///         rotation), then warm (wake), then cold (start) — preferring the
///         preferred zones; with none, a new instance is started
///         (emergency cold start). A queue at `wake_queue_depth` adds one
///         up to the maximum; a serving instance beyond the minimum that was
///         idle for `idle_sleep` goes to sleep (it becomes a warm standby).
///         A serving instance lost to a failure in this pass is replaced
///         even above the minimum: a fault never leaves fewer serving.
///      b. posture, once serving is whole and nothing is under way: a
///         serving instance outside the preferred zones (a standby promoted
///         there by a failover) is moved back — a new serving instance
///         starts in a preferred zone and takes over, and the old one
///         becomes a hot standby — so that standbys and the instances they
///         cover are again in different failure domains.
///      c. standbys: started (hot), started then put to sleep (warm) or
///         reserved (cold) up to the policy, in the standby zone when there
///         is one; a hot standby beyond the policy goes to sleep; extra warm
///         ones beyond what demand may wake stop.
/// An instance with an action under way (`busy`) is counted where it is
/// heading and gets no new action. A model in crash-loop backoff
/// (`Observed::start_after`) starts nothing until then; promoting and waking
/// go on. What cannot be placed or started is reported.
#include <cstdint>
#include <string>
#include <vector>

#include "sluice/config/config.h"
#include "sluice/core/clock.h"
#include "sluice/fleet/lifecycle.h"
#include "sluice/fleet/placement.h"

namespace sluice::fleet {

/// Serving: in the routing table (when hot). Standby: kept out of it.
enum class Role : std::uint8_t { kServing, kStandby };
std::string_view to_string(Role role);

/// One GPU of the inventory.
struct GpuSlot {
  std::string id;  // "a1/gpu0"
  std::string node;
  std::string zone;
  double memory_gb = 0;
};

/// What a model wants from the pool.
struct ModelPolicy {
  std::string name;
  config::DrPriority priority = config::DrPriority::kNormal;
  int hot_min = 1;
  int hot_max = 1;
  config::StandbyCounts standby;
  int gpus = 1;             // per instance
  double gb_per_gpu = 0;    // (weights + KV reservation) / gpus
  std::vector<std::string> preferred_zones;
  std::string standby_zone;
  std::int64_t wake_queue_depth = 0;  // 0 = never by queue
  core::Duration idle_sleep{};        // 0 = never
  std::string tenant;                 // dedicated to; "" = shared
};

struct TenantGpuQuota {
  std::string tenant;
  int max_gpus = 0;           // 0 = no limit
  double max_memory_gb = 0;   // 0 = no limit
};

struct Desired {
  std::vector<GpuSlot> inventory;
  std::vector<ModelPolicy> models;
  std::vector<TenantGpuQuota> quotas;
  double overcommit = 1.0;
};

/// One instance as the controller sees it.
struct InstanceView {
  std::string id;          // "m/3"
  std::size_t model = 0;   // index into Desired::models
  InstanceState state = InstanceState::kCold;
  Role role = Role::kServing;
  std::vector<std::size_t> gpus;  // indices into Desired::inventory
  bool healthy = true;            // passes its checks and is not ejected
  bool busy = false;              // an action on it is under way
  bool sleep_when_loaded = false; // a warm standby being started
  bool handing_over = false;      // serving until its replacement is hot, then a hot standby
  bool served = false;            // it has been in rotation (a failure of it costs serving capacity)
  std::int64_t in_flight = 0;
  core::TimePoint last_active{};  // last time it had requests (or entered service)
};

struct Observed {
  std::vector<InstanceView> instances;
  std::vector<std::string> down_nodes;
  std::vector<std::string> down_zones;
  std::vector<std::int64_t> queued;  // per model (index as Desired::models); missing = 0
  /// Per model: no instance is started before this (crash-loop backoff,
  /// fleet/crash_backoff.h); missing = no hold.
  std::vector<core::TimePoint> start_after;
};

enum class ActionKind : std::uint8_t {
  kFail,     // take it out of rotation at once and stop it: it has failed
  kForget,   // drop an ended instance, or a cold reservation that is no longer wanted
  kPromote,  // a hot standby joins the rotation
  kWake,     // a warm instance wakes up and joins the rotation
  kStart,    // start an instance (an existing cold one, or a new one at `gpus`)
  kReserve,  // a new cold standby: a place with the weights on its disk, nothing running
  kSleep,    // drain, then put to sleep: it becomes a warm standby
  kStop,     // drain, then stop
};
std::string_view to_string(ActionKind kind);

struct Action {
  ActionKind kind = ActionKind::kStart;
  std::size_t model = 0;
  std::string instance;  // the instance acted on; "" for a new one (kStart, kReserve)
  Role role = Role::kServing;          // kStart: what it becomes
  bool sleep_when_loaded = false;      // kStart of a warm standby
  std::vector<std::size_t> gpus;       // kStart, kReserve: where
  std::string takes_over_from;         // kStart (serving): once hot, this one becomes a hot standby
  std::string reason;
};

struct Plan {
  std::vector<Action> actions;
  /// "m: cannot place a hot standby: …", once per model and kind.
  std::vector<std::string> unplaced;
};

Plan plan(const Desired& desired, const Observed& observed, core::TimePoint now);

/// Model `model`'s instances in rotation (hot, serving) now.
int serving_count(const Observed& observed, std::size_t model);
/// Its standbys ready now: hot (awake, out of rotation), warm (asleep), cold
/// (reserved); instances on their way there are not counted.
config::StandbyCounts standby_counts(const Observed& observed, std::size_t model);
/// Serving at its minimum, standbys at policy, and nothing under way.
bool settled(const Desired& desired, const Observed& observed, std::size_t model);

/// Every GPU of the inventory with the memory the observed instances
/// occupy (awake) and promise (asleep), and whether it is down.
std::vector<GpuView> gpu_views(const Desired& desired, const Observed& observed);

/// The GPU memory an instance in `state` occupies (awake: starting, loading,
/// hot, draining), promises (asleep: warm), or neither (cold, ended).
enum class MemoryUse : std::uint8_t { kAwake, kAsleep, kNone };
MemoryUse memory_use(InstanceState state);

}  // namespace sluice::fleet
