#pragma once
/// The failure scenarios `sluice drill` knows, how each is injected
/// (through the fleet's admin API, or from outside the gateway with a signal
/// to the engine's process), and the source design's recovery target (SLA)
/// for each. Pure.
#include <expected>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::drill {

enum class Scenario {
  kCrash,         // instance process crash (kill -9)
  kKill,          // the same from outside: SIGKILL to the engine's pid
  kHang,          // instance hangs: accepts requests, never answers
  kFreeze,        // from outside: SIGSTOP to the engine's pid (answers nothing, /health included)
  kError,         // instance answers 5xx
  kGpuFault,      // instance reports unhealthy (GPU fault)
  kNodeDown,      // every instance on a node killed, the node unusable
  kNodeKill,      // from outside: SIGKILL to every engine process on a node
  kZoneOutage,    // every node of a zone down
  kZoneKill,      // from outside: SIGKILL to every engine process in a zone
  kCorruptModel,  // a cold start whose load fails
};

/// How a scenario's fault reaches the engine.
enum class Injection {
  kAdminApi,  // POST /admin/fleet/faults: the gateway is told
  kSignal,    // kill(2) on the engine's pid, from the drill: the gateway is not told
};

/// Every scenario, in the order `--scenario all` runs them.
std::span<const Scenario> all_scenarios();

/// "crash", "kill", "hang", "freeze", "error", "gpu_fault", "node_down",
/// "node_kill", "zone_outage", "zone_kill", "corrupt_model".
std::string_view scenario_name(Scenario scenario);
/// One line for people: "instance process crash (kill -9)".
std::string_view scenario_description(Scenario scenario);
Injection injection_of(Scenario scenario);

/// Parses `--scenario`: "all", or names separated by commas (spaces around
/// them allowed). Keeps the order given and drops repeats. An unknown or
/// empty name is an error that lists the known ones.
std::expected<std::vector<Scenario>, std::string> parse_scenarios(std::string_view list);

/// The source design's SLA: the recovery time (RTO) the scenario must beat,
/// in seconds (process crash 6, node down 40, GPU fault 35, zone outage 90,
/// corrupt model 61; hang and 5xx are held to the crash target; a fault
/// injected by signal to the target of its admin API twin: kill and freeze
/// 6, node_kill 40, zone_kill 90).
double sla_rto_s(Scenario scenario);

}  // namespace sluice::drill
