#include "sluice/drill/fault_plan.h"

#include <algorithm>

#include <fmt/format.h>

#include <nlohmann/json.hpp>

namespace sluice::drill {

namespace {

using nlohmann::json;

/// The serving instance with the lowest id, or nullptr.
const FleetInstance* first_serving(const FleetView& fleet, std::string_view model) {
  const FleetInstance* best = nullptr;
  for (const auto& i : fleet.instances) {
    if (i.model != model || i.state != "hot" || i.role != "serving") continue;
    if (best == nullptr || i.id < best->id) best = &i;
  }
  return best;
}

FaultStep instance_fault(std::string_view kind, const FleetInstance& victim) {
  return {json{{"kind", kind}, {"instance", victim.id}}.dump(), fmt::format("{} {}", kind, victim.id)};
}

}  // namespace

std::expected<FaultPlan, std::string> plan_fault(Scenario scenario, const FleetView& fleet, std::string_view model) {
  const FleetInstance* victim = first_serving(fleet, model);
  if (victim == nullptr) return std::unexpected(fmt::format("model {} has no serving instance to fail", model));
  FaultPlan plan;
  plan.victim = victim->id;
  plan.target = victim->id;
  switch (scenario) {
    case Scenario::kCrash: plan.steps.push_back(instance_fault("crash", *victim)); break;
    case Scenario::kHang: plan.steps.push_back(instance_fault("hang", *victim)); break;
    case Scenario::kError: plan.steps.push_back(instance_fault("error", *victim)); break;
    case Scenario::kGpuFault: plan.steps.push_back(instance_fault("gpu_fault", *victim)); break;
    case Scenario::kNodeDown:
      if (victim->node.empty()) return std::unexpected(fmt::format("instance {} has no node in the fleet report", victim->id));
      plan.target = "node " + victim->node;
      plan.steps.push_back({json{{"kind", "node_down"}, {"node", victim->node}}.dump(), "node_down " + victim->node});
      break;
    case Scenario::kZoneOutage:
      if (victim->zone.empty()) return std::unexpected(fmt::format("instance {} has no zone in the fleet report", victim->id));
      plan.target = "zone " + victim->zone;
      plan.steps.push_back({json{{"kind", "zone_down"}, {"zone", victim->zone}}.dump(), "zone_down " + victim->zone});
      break;
    case Scenario::kCorruptModel:
      plan.steps.push_back({json{{"kind", "corrupt_model"}, {"model", model}, {"count", 1}}.dump(),
                            fmt::format("corrupt_model {} (next cold load fails)", model)});
      plan.steps.push_back(instance_fault("crash", *victim));
      break;
  }
  return plan;
}

}  // namespace sluice::drill
