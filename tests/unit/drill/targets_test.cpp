#include "sluice/drill/targets.h"

#include <gtest/gtest.h>

#include "fleet_fixture.h"

namespace sluice::drill {
namespace {

FleetView fleet() { return parse_fleet_view(test::fleet_json()).value(); }

TEST(DrillTargets, WarmestStandbyTheFaultLeaves) {
  const std::vector<std::string> crash = {"m/0"};
  EXPECT_EQ(surviving_standby(fleet(), "m", crash), StandbyTier::kHot);
  const std::vector<std::string> zone_a = {"m/0", "m/1", "m/2", "other/0"};
  EXPECT_EQ(surviving_standby(fleet(), "m", zone_a), StandbyTier::kWarm);  // the hot one was in zone-a
  const std::vector<std::string> everything = {"m/0", "m/1", "m/2", "m/3"};
  EXPECT_EQ(surviving_standby(fleet(), "m", everything), StandbyTier::kNone);
  FleetView counted_cold = fleet();
  counted_cold.models[0].standby.cold = 1;  // cold standbys need not be listed as instances
  EXPECT_EQ(surviving_standby(counted_cold, "m", everything), StandbyTier::kCold);
  EXPECT_EQ(surviving_standby(fleet(), "other", crash), StandbyTier::kNone);
}

TEST(DrillTargets, HotWarmAndNone) {
  const Targets hot = targets_for(Scenario::kCrash, StandbyTier::kHot, 0.1);
  EXPECT_EQ(hot.sla_rto_s, 6);
  EXPECT_EQ(hot.our_rto_s, 1.0);
  EXPECT_FALSE(hot.our_rto_inclusive);
  EXPECT_TRUE(hot.no_client_errors);
  EXPECT_EQ(describe_our_rto(hot), "< 1 s");

  const Targets warm = targets_for(Scenario::kNodeDown, StandbyTier::kWarm, 0.1);  // llama 8B: 2 s wake ÷ 20
  EXPECT_EQ(warm.sla_rto_s, 40);
  EXPECT_DOUBLE_EQ(*warm.our_rto_s, 1.1);
  EXPECT_TRUE(warm.our_rto_inclusive);
  EXPECT_FALSE(warm.no_client_errors);
  EXPECT_EQ(describe_our_rto(warm), "≤ 1.1 s");

  const Targets cold = targets_for(Scenario::kZoneOutage, StandbyTier::kCold, 0.1);
  EXPECT_EQ(cold.sla_rto_s, 90);
  EXPECT_FALSE(cold.our_rto_s);
  EXPECT_FALSE(cold.no_client_errors);
  EXPECT_EQ(describe_our_rto(cold), "—");
}

}  // namespace
}  // namespace sluice::drill
