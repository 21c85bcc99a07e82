#include "sluice/drill/fault_plan.h"

#include <csignal>

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "fleet_fixture.h"
#include "sluice/drill/fault_answer.h"

namespace sluice::drill {
namespace {

using nlohmann::json;

FleetView fleet() { return parse_fleet_view(test::fleet_json()).value(); }

TEST(DrillFaultPlan, InstanceFaultsAimAtTheFirstServingInstance) {
  const std::vector<std::pair<Scenario, std::string>> cases = {
      {Scenario::kCrash, "crash"}, {Scenario::kHang, "hang"}, {Scenario::kError, "error"}, {Scenario::kGpuFault, "gpu_fault"}};
  for (const auto& [scenario, kind] : cases) {
    const auto plan = plan_fault(scenario, fleet(), "m");
    ASSERT_TRUE(plan) << plan.error();
    ASSERT_EQ(plan->steps.size(), 1U);
    EXPECT_EQ(json::parse(plan->steps[0].body), (json{{"kind", kind}, {"instance", "m/0"}}));
    EXPECT_EQ(plan->victim, "m/0");
    EXPECT_EQ(plan->target, "m/0");
  }
}

TEST(DrillFaultPlan, NodeAndZoneOfTheVictim) {
  const auto node = plan_fault(Scenario::kNodeDown, fleet(), "m");
  ASSERT_TRUE(node) << node.error();
  EXPECT_EQ(json::parse(node->steps[0].body), (json{{"kind", "node_down"}, {"node", "a1"}}));
  EXPECT_EQ(node->target, "node a1");
  const auto zone = plan_fault(Scenario::kZoneOutage, fleet(), "m");
  ASSERT_TRUE(zone) << zone.error();
  EXPECT_EQ(json::parse(zone->steps[0].body), (json{{"kind", "zone_down"}, {"zone", "zone-a"}}));
  EXPECT_EQ(zone->target, "zone zone-a");
}

TEST(DrillFaultPlan, NodeAndZoneHoldingMostServingInstances) {
  FleetView spread = fleet();
  // m/0 alone on a1 in zone-a; m/1 moved to b1 and a third serving instance to b2 (zone-b).
  spread.instances[1].node = "b1";
  spread.instances[1].zone = "zone-b";
  spread.instances.push_back({"m/9", "m", "hot", "hot", "serving", "b1", "zone-b"});
  const auto zone = plan_fault(Scenario::kZoneOutage, spread, "m");
  ASSERT_TRUE(zone) << zone.error();
  EXPECT_EQ(zone->target, "zone zone-b");
  EXPECT_EQ(zone->victim, "m/0");
  const auto node = plan_fault(Scenario::kNodeDown, spread, "m");
  ASSERT_TRUE(node) << node.error();
  EXPECT_EQ(node->target, "node b1");
}

TEST(DrillFaultPlan, CorruptModelMarksTheModelThenCrashes) {
  const auto plan = plan_fault(Scenario::kCorruptModel, fleet(), "m");
  ASSERT_TRUE(plan) << plan.error();
  ASSERT_EQ(plan->steps.size(), 2U);
  EXPECT_EQ(json::parse(plan->steps[0].body), (json{{"kind", "corrupt_model"}, {"model", "m"}, {"count", 1}}));
  EXPECT_EQ(json::parse(plan->steps[1].body), (json{{"kind", "crash"}, {"instance", "m/0"}}));
}

TEST(DrillFaultPlan, NoServingInstanceOrPlacementIsAnError) {
  const auto none = plan_fault(Scenario::kCrash, fleet(), "absent");
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error(), "model absent has no serving instance to fail");
  FleetView no_node = fleet();
  for (auto& i : no_node.instances) i.node.clear();
  const auto node = plan_fault(Scenario::kNodeDown, no_node, "m");
  ASSERT_FALSE(node);
  EXPECT_EQ(node.error(), "instance m/0 has no node in the fleet report");
}

TEST(DrillFaultPlan, AdminScenariosSendNoSignal) {
  for (const Scenario s : {Scenario::kCrash, Scenario::kHang, Scenario::kError, Scenario::kGpuFault,
                           Scenario::kNodeDown, Scenario::kZoneOutage, Scenario::kCorruptModel}) {
    const auto plan = plan_fault(s, fleet(), "m");
    ASSERT_TRUE(plan) << plan.error();
    EXPECT_EQ(injection_of(s), Injection::kAdminApi);
    for (const auto& step : plan->steps) {
      EXPECT_FALSE(step.is_signal()) << scenario_name(s);
      EXPECT_FALSE(step.body.empty()) << scenario_name(s);
    }
    EXPECT_TRUE(plan->after.empty()) << scenario_name(s);
  }
}

TEST(DrillFaultPlan, KillSignalsTheVictimsProcess) {
  const auto plan = plan_fault(Scenario::kKill, fleet(), "m");
  ASSERT_TRUE(plan) << plan.error();
  ASSERT_EQ(plan->steps.size(), 1U);
  const FaultStep& step = plan->steps[0];
  EXPECT_TRUE(step.is_signal());
  EXPECT_TRUE(step.body.empty()) << "nothing goes through the admin API";
  EXPECT_EQ(step.signal, SIGKILL);
  EXPECT_EQ(step.processes, (std::vector<ProcessTarget>{{"m/0", 11, 4001}}));
  EXPECT_EQ(step.description, "SIGKILL m/0 (pid 11)");
  EXPECT_EQ(plan->victim, "m/0");
  EXPECT_EQ(plan->target, "m/0");
  EXPECT_TRUE(plan->after.empty());
}

TEST(DrillFaultPlan, FreezeStopsTheVictimAndContinuesItAfterwards) {
  const auto plan = plan_fault(Scenario::kFreeze, fleet(), "m");
  ASSERT_TRUE(plan) << plan.error();
  ASSERT_EQ(plan->steps.size(), 1U);
  EXPECT_EQ(plan->steps[0].signal, SIGSTOP);
  EXPECT_EQ(plan->steps[0].processes, (std::vector<ProcessTarget>{{"m/0", 11, 4001}}));
  EXPECT_EQ(plan->steps[0].description, "SIGSTOP m/0 (pid 11)");
  ASSERT_EQ(plan->after.size(), 1U);
  EXPECT_EQ(plan->after[0].signal, SIGCONT);
  EXPECT_EQ(plan->after[0].processes, plan->steps[0].processes);
}

TEST(DrillFaultPlan, NodeKillSignalsEveryEngineOnTheNode) {
  const auto plan = plan_fault(Scenario::kNodeKill, fleet(), "m");
  ASSERT_TRUE(plan) << plan.error();
  EXPECT_EQ(plan->target, "node a1");
  ASSERT_EQ(plan->steps.size(), 1U);
  EXPECT_EQ(plan->steps[0].signal, SIGKILL);
  // Every engine on a1, the other model's included; the standbys on a2 and b1 are spared.
  EXPECT_EQ(plan->steps[0].processes,
            (std::vector<ProcessTarget>{{"m/0", 11, 4001}, {"m/1", 12, 4002}, {"other/0", 15, 4005}}));
  EXPECT_EQ(plan->steps[0].description, "SIGKILL m/0 (pid 11), m/1 (pid 12), other/0 (pid 15)");

  FleetView spread = fleet();
  spread.instances[1].node = "b1";
  spread.instances.push_back({"m/9", "m", "hot", "hot", "serving", "b1", "zone-b", 4009, 19});
  const auto busiest = plan_fault(Scenario::kNodeKill, spread, "m");
  ASSERT_TRUE(busiest) << busiest.error();
  EXPECT_EQ(busiest->target, "node b1");
  EXPECT_EQ(busiest->steps[0].processes,
            (std::vector<ProcessTarget>{{"m/1", 12, 4002}, {"m/3", 14, 4004}, {"m/9", 19, 4009}}));
}

TEST(DrillFaultPlan, ZoneKillSignalsEveryEngineInTheZone) {
  const auto plan = plan_fault(Scenario::kZoneKill, fleet(), "m");
  ASSERT_TRUE(plan) << plan.error();
  EXPECT_EQ(plan->target, "zone zone-a");
  ASSERT_EQ(plan->steps.size(), 1U);
  EXPECT_EQ(plan->steps[0].signal, SIGKILL);
  // a1 and a2: both serving instances, the hot standby and the other model; the warm standby in zone-b is spared.
  EXPECT_EQ(plan->steps[0].processes, (std::vector<ProcessTarget>{{"m/0", 11, 4001},
                                                                  {"m/1", 12, 4002},
                                                                  {"m/2", 13, 4003},
                                                                  {"other/0", 15, 4005}}));
}

TEST(DrillFaultPlan, SignalsNeedPids) {
  FleetView remote = fleet();
  for (auto& i : remote.instances) i.pid = 0;  // engines the gateway does not run itself
  for (const Scenario s : {Scenario::kKill, Scenario::kFreeze}) {
    const auto plan = plan_fault(s, remote, "m");
    ASSERT_FALSE(plan) << scenario_name(s);
    EXPECT_NE(plan.error().find("instance m/0 has no pid in the fleet report"), std::string::npos) << plan.error();
  }
  const auto node = plan_fault(Scenario::kNodeKill, remote, "m");
  ASSERT_FALSE(node);
  EXPECT_EQ(node.error(), "node a1 has no engine process with a pid in the fleet report");
  const auto zone = plan_fault(Scenario::kZoneKill, remote, "m");
  ASSERT_FALSE(zone);
  EXPECT_EQ(zone.error(), "zone zone-a has no engine process with a pid in the fleet report");
  EXPECT_TRUE(plan_fault(Scenario::kCrash, remote, "m")) << "the admin API needs no pid";
}

/// /proc/PID/cmdline: each argument followed by a NUL byte.
std::string cmdline(std::initializer_list<std::string_view> args) {
  std::string out;
  for (const auto a : args) {
    out += a;
    out += '\0';
  }
  return out;
}

TEST(DrillFaultPlan, CommandLineNamesThePort) {
  EXPECT_TRUE(command_line_names_port(cmdline({"/usr/bin/sluice", "engine-sim", "--port", "4001", "--profile", "x"}), 4001));
  EXPECT_TRUE(command_line_names_port(cmdline({"vllm", "serve", "--port=4001"}), 4001));
  EXPECT_TRUE(command_line_names_port(cmdline({"server", "--bind", "127.0.0.1:4001"}), 4001));
  EXPECT_TRUE(command_line_names_port(std::string("server") + '\0' + "4001", 4001)) << "no NUL after the last";
  EXPECT_FALSE(command_line_names_port(cmdline({"server", "--port", "40011"}), 4001)) << "a longer number";
  EXPECT_FALSE(command_line_names_port(cmdline({"server", "--port", "14001"}), 4001));
  EXPECT_FALSE(command_line_names_port(cmdline({"/bin/bash"}), 4001));
  EXPECT_FALSE(command_line_names_port("", 4001));
  EXPECT_FALSE(command_line_names_port(cmdline({"x", "0"}), 0)) << "no port: nothing matches";
  EXPECT_EQ(signal_name(SIGKILL), "SIGKILL");
  EXPECT_EQ(signal_name(SIGSTOP), "SIGSTOP");
  EXPECT_EQ(signal_name(SIGCONT), "SIGCONT");
}

TEST(DrillFaultAnswer, InjectedAtAndAffected) {
  const auto ok = parse_injected_fault(R"({"injected_at_ms":1732345678901,"affected":["m/0","m/1"]})");
  ASSERT_TRUE(ok) << ok.error();
  EXPECT_EQ(ok->injected_at_ms, 1732345678901);
  EXPECT_EQ(ok->affected, (std::vector<std::string>{"m/0", "m/1"}));
  EXPECT_FALSE(parse_injected_fault(R"({"affected":[]})"));
  EXPECT_FALSE(parse_injected_fault(R"({"injected_at_ms":1,"affected":[3]})"));
  EXPECT_EQ(error_message_of(R"({"error":{"message":"unknown instance m/9","type":"invalid_request_error"}})"),
            "unknown instance m/9");
  EXPECT_EQ(error_message_of("plain text"), "plain text");
}

}  // namespace
}  // namespace sluice::drill
