#include "sluice/drill/fault_plan.h"

#include <algorithm>
#include <map>

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

/// The node (or zone) of the model's serving instances that holds most of
/// them, ties going to the one of the instance with the lowest id: failing
/// it takes the most serving capacity.
std::string busiest(const FleetView& fleet, std::string_view model, const FleetInstance& first, bool zone) {
  std::map<std::string, int> serving;
  for (const auto& i : fleet.instances) {
    if (i.model == model && i.state == "hot" && i.role == "serving") ++serving[zone ? i.zone : i.node];
  }
  std::string best = zone ? first.zone : first.node;
  int most = serving[best];
  for (const auto& [place, n] : serving) {
    if (!place.empty() && n > most) {
      best = place;
      most = n;
    }
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
    case Scenario::kNodeDown: {
      if (victim->node.empty()) return std::unexpected(fmt::format("instance {} has no node in the fleet report", victim->id));
      const std::string node = busiest(fleet, model, *victim, false);
      plan.target = "node " + node;
      plan.steps.push_back({json{{"kind", "node_down"}, {"node", node}}.dump(), "node_down " + node});
      break;
    }
    case Scenario::kZoneOutage: {
      if (victim->zone.empty()) return std::unexpected(fmt::format("instance {} has no zone in the fleet report", victim->id));
      const std::string zone = busiest(fleet, model, *victim, true);
      plan.target = "zone " + zone;
      plan.steps.push_back({json{{"kind", "zone_down"}, {"zone", zone}}.dump(), "zone_down " + zone});
      break;
    }
    case Scenario::kCorruptModel:
      plan.steps.push_back({json{{"kind", "corrupt_model"}, {"model", model}, {"count", 1}}.dump(),
                            fmt::format("corrupt_model {} (next cold load fails)", model)});
      plan.steps.push_back(instance_fault("crash", *victim));
      break;
  }
  return plan;
}

}  // namespace sluice::drill
