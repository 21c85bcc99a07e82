#include "sluice/drill/fault_plan.h"

#include <csignal>

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

FaultStep admin_step(std::string body, std::string description) {
  FaultStep step;
  step.body = std::move(body);
  step.description = std::move(description);
  return step;
}

FaultStep instance_fault(std::string_view kind, const FleetInstance& victim) {
  return admin_step(json{{"kind", kind}, {"instance", victim.id}}.dump(), fmt::format("{} {}", kind, victim.id));
}

ProcessTarget process_of(const FleetInstance& i) { return {i.id, i.pid, i.port}; }

FaultStep signal_step(int signal, std::vector<ProcessTarget> processes) {
  std::string list;
  for (const auto& p : processes) list += fmt::format("{}{} (pid {})", list.empty() ? "" : ", ", p.instance, p.pid);
  FaultStep step;
  step.signal = signal;
  step.processes = std::move(processes);
  step.description = fmt::format("{} {}", signal_name(signal), list);
  return step;
}

std::expected<ProcessTarget, std::string> process_to_signal(const FleetInstance& victim) {
  if (victim.pid <= 0) {
    return std::unexpected(fmt::format("instance {} has no pid in the fleet report: signal scenarios need engines the "
                                       "gateway runs itself (sim or process models)",
                                       victim.id));
  }
  return process_of(victim);
}

/// Every engine process on `place` (a node, or a zone), any model, by instance id.
std::vector<ProcessTarget> processes_on(const FleetView& fleet, std::string_view place, bool zone) {
  std::vector<ProcessTarget> out;
  for (const auto& i : fleet.instances) {
    if ((zone ? i.zone : i.node) == place && i.pid > 0) out.push_back(process_of(i));
  }
  std::sort(out.begin(), out.end(), [](const ProcessTarget& a, const ProcessTarget& b) { return a.instance < b.instance; });
  return out;
}

}  // namespace

std::string signal_name(int signal) {
  switch (signal) {
    case SIGKILL: return "SIGKILL";
    case SIGSTOP: return "SIGSTOP";
    case SIGCONT: return "SIGCONT";
    case SIGTERM: return "SIGTERM";
    default: return fmt::format("signal {}", signal);
  }
}

bool command_line_names_port(std::string_view cmdline, int port) {
  if (port <= 0) return false;
  const std::string want = std::to_string(port);
  std::size_t start = 0;
  for (std::size_t i = 0; i <= cmdline.size(); ++i) {
    const bool end = i == cmdline.size() || cmdline[i] == '\0' || cmdline[i] == '=' || cmdline[i] == ':';
    if (!end) continue;
    if (cmdline.substr(start, i - start) == want) return true;
    start = i + 1;
  }
  return false;
}

std::expected<FaultPlan, std::string> plan_fault(Scenario scenario, const FleetView& fleet, std::string_view model) {
  const FleetInstance* victim = first_serving(fleet, model);
  if (victim == nullptr) return std::unexpected(fmt::format("model {} has no serving instance to fail", model));
  FaultPlan plan;
  plan.victim = victim->id;
  plan.target = victim->id;
  switch (scenario) {
    case Scenario::kCrash: plan.steps.push_back(instance_fault("crash", *victim)); break;
    case Scenario::kKill:
    case Scenario::kFreeze: {
      auto process = process_to_signal(*victim);
      if (!process) return std::unexpected(process.error());
      const bool freeze = scenario == Scenario::kFreeze;
      plan.steps.push_back(signal_step(freeze ? SIGSTOP : SIGKILL, {*process}));
      if (freeze) plan.after.push_back(signal_step(SIGCONT, {*process}));
      break;
    }
    case Scenario::kHang: plan.steps.push_back(instance_fault("hang", *victim)); break;
    case Scenario::kError: plan.steps.push_back(instance_fault("error", *victim)); break;
    case Scenario::kGpuFault: plan.steps.push_back(instance_fault("gpu_fault", *victim)); break;
    case Scenario::kNodeDown: {
      if (victim->node.empty()) return std::unexpected(fmt::format("instance {} has no node in the fleet report", victim->id));
      const std::string node = busiest(fleet, model, *victim, false);
      plan.target = "node " + node;
      plan.steps.push_back(admin_step(json{{"kind", "node_down"}, {"node", node}}.dump(), "node_down " + node));
      break;
    }
    case Scenario::kNodeKill:
    case Scenario::kZoneKill: {
      const bool zone = scenario == Scenario::kZoneKill;
      const char* kind = zone ? "zone" : "node";
      if ((zone ? victim->zone : victim->node).empty()) {
        return std::unexpected(fmt::format("instance {} has no {} in the fleet report", victim->id, kind));
      }
      const std::string place = busiest(fleet, model, *victim, zone);
      std::vector<ProcessTarget> processes = processes_on(fleet, place, zone);
      if (processes.empty()) {
        return std::unexpected(fmt::format("{} {} has no engine process with a pid in the fleet report", kind, place));
      }
      plan.target = fmt::format("{} {}", kind, place);
      plan.steps.push_back(signal_step(SIGKILL, std::move(processes)));
      break;
    }
    case Scenario::kZoneOutage: {
      if (victim->zone.empty()) return std::unexpected(fmt::format("instance {} has no zone in the fleet report", victim->id));
      const std::string zone = busiest(fleet, model, *victim, true);
      plan.target = "zone " + zone;
      plan.steps.push_back(admin_step(json{{"kind", "zone_down"}, {"zone", zone}}.dump(), "zone_down " + zone));
      break;
    }
    case Scenario::kCorruptModel:
      plan.steps.push_back(admin_step(json{{"kind", "corrupt_model"}, {"model", model}, {"count", 1}}.dump(),
                                      fmt::format("corrupt_model {} (next cold load fails)", model)));
      plan.steps.push_back(instance_fault("crash", *victim));
      break;
  }
  return plan;
}

}  // namespace sluice::drill
