#pragma once
/// `sluice simulate`: a discrete-event simulation that replays a workload
/// file through the gateway's own decision code — the QuotaLedger
/// (admission), one sched::FairQueue per model (queueing), and
/// balance::pick_with_room (picking) — in front of engine::TimingModel
/// instances (the engine-sim's timing model), all on a virtual clock.
///
/// What differs from the live gateway, on purpose: no HTTP, no network
/// delays, and an instance's load (waiting requests, KV use) is read exactly
/// instead of scraped every engine_metrics_interval.
///
/// Several replicas (the workload's `replicas: N`, `replica_sync: 20ms`):
/// each has its own queues in front of the same instances, a request goes
/// to the replica its tenant's `replicas` split draws, and every
/// replica_sync of virtual time the replicas exchange fairness counters as
/// cluster::VtcSync does through Redis (0s: never; each is fair alone).
/// Replicas see room as soon as it appears (load is read exactly).
///
/// Single-threaded; deterministic for a config, a workload and its seed.
#include <cstdint>
#include <expected>
#include <optional>
#include <string>

#include "sluice/config/config.h"
#include "sluice/workload/report.h"
#include "sluice/workload/workload.h"

namespace sluice::simulate {

struct SimulationOptions {
  /// Replaces every model's scheduler policy.
  std::optional<config::SchedPolicy> policy;
  /// Replaces every model's instance count.
  std::optional<int> instances;
  /// How often backlog is sampled (the fairness figures' "backlogged").
  double backlog_sample_s = 0.1;
  /// How long after the last arrival requests may still finish.
  double drain_s = 60;
  /// Several replicas (the workload's `replicas`, `replica_sync`): how far
  /// ahead of a tenant waiting on another replica a tenant may be served
  /// (counter units; cluster.fairness_slack in the gateway).
  double replica_slack = 1000;
};

struct SimulationStats {
  std::uint64_t arrivals = 0;
  std::uint64_t events = 0;       // discrete events handled
  std::uint64_t engine_steps = 0;
  double simulated_s = 0;         // virtual time at the end
};

/// Checks that every workload tenant and model exists in `config` and that
/// the models are `sim` models; one message per problem.
std::expected<void, std::vector<std::string>> check_compatible(const config::Config& config,
                                                               const workload::Workload& workload);

/// Runs the simulation, recording into a RunRecorder it returns.
workload::RunRecorder run_simulation(const config::Config& config, const workload::Workload& workload,
                                     const SimulationOptions& options, SimulationStats* stats = nullptr);

}  // namespace sluice::simulate
