#include "sluice/drill/fault_plan.h"

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
