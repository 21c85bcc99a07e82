#pragma once
/// The failure scenarios `sluice drill` knows, what each injects through
/// the fleet's admin API, and the source design's recovery target (SLA) for
/// each. Pure.
#include <expected>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::drill {

enum class Scenario {
  kCrash,         // instance process crash (kill -9)
  kHang,          // instance hangs: accepts requests, never answers
  kError,         // instance answers 5xx
  kGpuFault,      // instance reports unhealthy (GPU fault)
  kNodeDown,      // every instance on a node killed, the node unusable
  kZoneOutage,    // every node of a zone down
  kCorruptModel,  // a cold start whose load fails
};

/// Every scenario, in the order `--scenario all` runs them.
std::span<const Scenario> all_scenarios();

/// "crash", "hang", "error", "gpu_fault", "node_down", "zone_outage", "corrupt_model".
std::string_view scenario_name(Scenario scenario);
/// One line for people: "instance process crash (kill -9)".
std::string_view scenario_description(Scenario scenario);

/// Parses `--scenario`: "all", or names separated by commas (spaces around
/// them allowed). Keeps the order given and drops repeats. An unknown or
/// empty name is an error that lists the known ones.
std::expected<std::vector<Scenario>, std::string> parse_scenarios(std::string_view list);

/// The source design's SLA: the recovery time (RTO) the scenario must beat,
/// in seconds (process crash 6, node down 40, GPU fault 35, zone outage 90,
/// corrupt model 61; hang and 5xx are held to the crash target).
double sla_rto_s(Scenario scenario);

}  // namespace sluice::drill
