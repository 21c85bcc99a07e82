#include "sluice/drill/scenario.h"

#include <algorithm>
#include <array>

#include <fmt/format.h>

namespace sluice::drill {

namespace {

struct ScenarioInfo {
  Scenario scenario;
  std::string_view name;
  std::string_view description;
  double sla_rto_s;
  Injection injection = Injection::kAdminApi;
};

constexpr std::array<ScenarioInfo, 11> kScenarios = {{
    {Scenario::kCrash, "crash", "instance process crash (kill -9)", 6},
    {Scenario::kKill, "kill", "engine process killed from outside (SIGKILL to its pid)", 6, Injection::kSignal},
    {Scenario::kHang, "hang", "instance hang (accepts requests, never answers)", 6},
    {Scenario::kFreeze, "freeze", "engine process frozen from outside (SIGSTOP: answers nothing, /health included)", 6,
     Injection::kSignal},
    {Scenario::kError, "error", "instance answering 5xx", 6},
    {Scenario::kGpuFault, "gpu_fault", "GPU fault (instance reports unhealthy)", 35},
    {Scenario::kNodeDown, "node_down", "node down (all its instances killed)", 40},
    {Scenario::kNodeKill, "node_kill", "node's engine processes killed from outside (SIGKILL to each pid)", 40,
     Injection::kSignal},
    {Scenario::kZoneOutage, "zone_outage", "zone outage (every node of the zone down)", 90},
    {Scenario::kZoneKill, "zone_kill", "zone's engine processes killed from outside (SIGKILL to each pid)", 90,
     Injection::kSignal},
    {Scenario::kCorruptModel, "corrupt_model", "corrupt model (a cold start whose load fails)", 61},
}};

constexpr std::array<Scenario, 11> kAll = {
    Scenario::kCrash,    Scenario::kKill,     Scenario::kHang,       Scenario::kFreeze,   Scenario::kError,
    Scenario::kGpuFault, Scenario::kNodeDown, Scenario::kNodeKill,   Scenario::kZoneOutage, Scenario::kZoneKill,
    Scenario::kCorruptModel};

const ScenarioInfo& info(Scenario scenario) {
  return *std::find_if(kScenarios.begin(), kScenarios.end(),
                       [scenario](const ScenarioInfo& i) { return i.scenario == scenario; });
}

std::string known_names() {
  std::string out;
  for (const auto& i : kScenarios) out += fmt::format("{}{}", out.empty() ? "" : ", ", i.name);
  return out + ", or all";
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

}  // namespace

std::span<const Scenario> all_scenarios() { return kAll; }

std::string_view scenario_name(Scenario scenario) { return info(scenario).name; }
std::string_view scenario_description(Scenario scenario) { return info(scenario).description; }
double sla_rto_s(Scenario scenario) { return info(scenario).sla_rto_s; }
Injection injection_of(Scenario scenario) { return info(scenario).injection; }

std::expected<std::vector<Scenario>, std::string> parse_scenarios(std::string_view list) {
  if (trim(list) == "all") return std::vector<Scenario>(kAll.begin(), kAll.end());
  const std::string_view whole = list;
  std::vector<Scenario> out;
  while (true) {
    const auto comma = list.find(',');
    const std::string_view name = trim(list.substr(0, comma));
    const auto it = std::find_if(kScenarios.begin(), kScenarios.end(), [name](const ScenarioInfo& i) { return i.name == name; });
    if (it == kScenarios.end()) {
      return std::unexpected(name.empty() ? fmt::format("empty scenario name in \"{}\" (known: {})", whole, known_names())
                                          : fmt::format("unknown scenario \"{}\" (known: {})", name, known_names()));
    }
    if (std::find(out.begin(), out.end(), it->scenario) == out.end()) out.push_back(it->scenario);
    if (comma == std::string_view::npos) break;
    list = list.substr(comma + 1);
  }
  return out;
}

}  // namespace sluice::drill
