#include "sluice/drill/scenario.h"

#include <gtest/gtest.h>

namespace sluice::drill {
namespace {

TEST(DrillScenario, AllInTheDocumentedOrder) {
  std::vector<std::string> names;
  for (const Scenario s : all_scenarios()) names.emplace_back(scenario_name(s));
  EXPECT_EQ(names, (std::vector<std::string>{"crash", "kill", "hang", "freeze", "error", "gpu_fault", "node_down",
                                             "node_kill", "zone_outage", "zone_kill", "corrupt_model"}));
  const auto all = parse_scenarios("all");
  ASSERT_TRUE(all) << all.error();
  EXPECT_EQ(all->size(), 11U);
}

TEST(DrillScenario, ListKeepsOrderAndDropsRepeats) {
  const auto list = parse_scenarios("node_down, crash,node_down");
  ASSERT_TRUE(list) << list.error();
  EXPECT_EQ(*list, (std::vector<Scenario>{Scenario::kNodeDown, Scenario::kCrash}));
}

TEST(DrillScenario, UnknownOrEmptyNamesListTheKnownOnes) {
  const auto typo = parse_scenarios("crash,zone_down");
  ASSERT_FALSE(typo);
  EXPECT_NE(typo.error().find("unknown scenario \"zone_down\""), std::string::npos) << typo.error();
  EXPECT_NE(typo.error().find("zone_outage"), std::string::npos) << typo.error();
  const auto empty = parse_scenarios("crash,,hang");
  ASSERT_FALSE(empty);
  EXPECT_NE(empty.error().find("empty scenario name in \"crash,,hang\""), std::string::npos) << empty.error();
  EXPECT_FALSE(parse_scenarios(""));
}

TEST(DrillScenario, SourceSlaTable) {
  EXPECT_EQ(sla_rto_s(Scenario::kCrash), 6);
  EXPECT_EQ(sla_rto_s(Scenario::kHang), 6);
  EXPECT_EQ(sla_rto_s(Scenario::kError), 6);
  EXPECT_EQ(sla_rto_s(Scenario::kGpuFault), 35);
  EXPECT_EQ(sla_rto_s(Scenario::kNodeDown), 40);
  EXPECT_EQ(sla_rto_s(Scenario::kZoneOutage), 90);
  EXPECT_EQ(sla_rto_s(Scenario::kCorruptModel), 61);
  // Faults from outside are held to their admin API twin's target.
  EXPECT_EQ(sla_rto_s(Scenario::kKill), 6);
  EXPECT_EQ(sla_rto_s(Scenario::kFreeze), 6);
  EXPECT_EQ(sla_rto_s(Scenario::kNodeKill), 40);
  EXPECT_EQ(sla_rto_s(Scenario::kZoneKill), 90);
}

TEST(DrillScenario, SignalScenariosInjectFromOutside) {
  const auto list = parse_scenarios("kill, freeze,node_kill,zone_kill");
  ASSERT_TRUE(list) << list.error();
  EXPECT_EQ(*list, (std::vector<Scenario>{Scenario::kKill, Scenario::kFreeze, Scenario::kNodeKill, Scenario::kZoneKill}));
  for (const Scenario s : *list) EXPECT_EQ(injection_of(s), Injection::kSignal) << scenario_name(s);
  EXPECT_EQ(injection_of(Scenario::kCrash), Injection::kAdminApi);
  EXPECT_EQ(injection_of(Scenario::kHang), Injection::kAdminApi);
  EXPECT_EQ(scenario_description(Scenario::kFreeze),
            "engine process frozen from outside (SIGSTOP: answers nothing, /health included)");
}

}  // namespace
}  // namespace sluice::drill
