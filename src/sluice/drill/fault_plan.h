#pragma once
/// Which instance, node or zone a scenario fails, and the requests that do
/// it through `POST /admin/fleet/faults`. The victim is the first serving
/// (hot) instance of the model by id, so a drill repeats; node and zone
/// scenarios take the node or zone holding most of the model's serving
/// instances (ties: the victim's). Pure.
#include <expected>
#include <string>
#include <string_view>
#include <vector>

#include "sluice/drill/fleet_view.h"
#include "sluice/drill/scenario.h"

namespace sluice::drill {

struct FaultStep {
  std::string body;         // JSON for POST /admin/fleet/faults
  std::string description;  // "crash llama-3.1-8b-instruct/0"
};

struct FaultPlan {
  /// Sent in order; the recovery clock starts at the last one (corrupt_model
  /// first marks the model's next cold load as failing, then crashes a
  /// serving instance so that the fleet has to load one).
  std::vector<FaultStep> steps;
  std::string victim;  // the serving instance aimed at
  std::string target;  // "llama-3.1-8b-instruct/0", "node a1", "zone zone-a"
};

/// The plan, or why there is none ("model m has no serving instance",
/// "instance m/0 has no node in the fleet report").
std::expected<FaultPlan, std::string> plan_fault(Scenario scenario, const FleetView& fleet, std::string_view model);

}  // namespace sluice::drill
