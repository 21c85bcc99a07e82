#pragma once
/// The recovery targets printed beside a drill's results: the source
/// design's SLA per scenario, and sluice's own, which depend on the warmest
/// standby the fault leaves alive:
///   hot standby  → RTO under 1 s, no failed non-streamed request, no broken
///                  stream, no token lost or duplicated;
///   warm standby → RTO within the profile's wake time (÷ speedup) plus 1 s;
///   cold or none → only the SLA.
/// Pure.
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "sluice/drill/fleet_view.h"
#include "sluice/drill/scenario.h"

namespace sluice::drill {

enum class StandbyTier { kHot, kWarm, kCold, kNone };
/// "hot", "warm", "cold", "none".
std::string_view tier_name(StandbyTier tier);

/// The warmest standby of `model` in `before` (the fleet just before the
/// fault) that is not among `affected` (what the fault took down). A model
/// whose report counts cold standbys without listing them has kCold.
StandbyTier surviving_standby(const FleetView& before, std::string_view model, std::span<const std::string> affected);

struct Targets {
  /// The source design's SLA: RTO strictly under this.
  double sla_rto_s = 0;
  StandbyTier tier = StandbyTier::kNone;
  /// Ours; absent for cold or no standby.
  std::optional<double> our_rto_s;
  /// The warm target is "within" (≤), the hot one "under" (<).
  bool our_rto_inclusive = false;
  /// Hot standby: clients see nothing (no failed request, no broken stream,
  /// no token lost or duplicated).
  bool no_client_errors = false;
};

/// `wake_s`: the model's wake-up time in wall seconds (profile wake_s ÷ speedup).
Targets targets_for(Scenario scenario, StandbyTier tier, double wake_s);

/// "< 1 s", "≤ 3.1 s", "—".
std::string describe_our_rto(const Targets& targets);

}  // namespace sluice::drill
