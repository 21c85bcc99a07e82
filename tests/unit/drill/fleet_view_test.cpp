#include "sluice/drill/fleet_view.h"

#include <gtest/gtest.h>

#include "fleet_fixture.h"

namespace sluice::drill {
namespace {

TEST(DrillFleetView, ParsesInstancesModelsAndFailovers) {
  const auto view = parse_fleet_view(test::fleet_json(
      R"({"seq":4,"model":"m","instance":"m/9","cause":"process_exit","detected_at_ms":1000,"replacement":"m/2",
          "promoted_from":"hot","recovered_at_ms":1100,"restored_at_ms":null},
         {"seq":7,"model":"m","instance":"m/8","cause":"load_failed","detected_at_ms":2000,"replacement":null,
          "promoted_from":null,"recovered_at_ms":null,"restored_at_ms":null})"));
  ASSERT_TRUE(view) << view.error();
  ASSERT_EQ(view->instances.size(), 5U);
  EXPECT_EQ(view->instances[2].role, "standby");
  EXPECT_EQ(view->instance("m/3")->zone, "zone-b");
  EXPECT_EQ(view->instance("nope"), nullptr);
  EXPECT_EQ(view->instance("m/3")->pid, 14);
  EXPECT_EQ(view->instance("m/3")->port, 4004);
  const FleetModel* m = view->model("m");
  ASSERT_NE(m, nullptr);
  EXPECT_TRUE(m->settled);
  EXPECT_EQ(m->hot_min, 2);
  EXPECT_EQ(m->standby_policy, (StandbyCounts{1, 1, 0}));
  ASSERT_EQ(view->failovers.size(), 2U);
  EXPECT_EQ(view->failovers[0].promoted_from, "hot");
  EXPECT_EQ(view->failovers[0].recovered_at_ms, 1100);
  EXPECT_FALSE(view->failovers[0].restored_at_ms);
  EXPECT_EQ(view->failovers[1].replacement, "");
  EXPECT_EQ(view->last_failover_seq(), 7);
}

TEST(DrillFleetView, NullPidAndPortAreZero) {
  const auto view = parse_fleet_view(
      R"({"instances":[{"id":"m/0","model":"m","state":"cold","pid":null,"port":null},{"id":"m/1","model":"m","state":"hot"}]})");
  ASSERT_TRUE(view) << view.error();
  EXPECT_EQ(view->instances[0].pid, 0);
  EXPECT_EQ(view->instances[0].port, 0);
  EXPECT_EQ(view->instances[1].pid, 0);
  EXPECT_FALSE(parse_fleet_view(R"({"instances":[{"id":"m/0","model":"m","state":"hot","pid":"12"}]})"));
}

TEST(DrillFleetView, EmptyReportHasNoFailovers) {
  const auto view = parse_fleet_view(R"({"instances":[],"models":[]})");
  ASSERT_TRUE(view) << view.error();
  EXPECT_EQ(view->last_failover_seq(), 0);
}

TEST(DrillFleetView, ErrorsNameTheField) {
  const auto not_object = parse_fleet_view("[1]");
  ASSERT_FALSE(not_object);
  const auto missing = parse_fleet_view(R"({"failovers":[{"seq":1,"model":"m","instance":"m/0"}]})");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error(), "failovers[0].detected_at_ms: missing");
  const auto wrong = parse_fleet_view(R"({"instances":[{"id":"m/0","model":"m","state":7}]})");
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error(), "instances[0].state: expected a string");
  const auto counts = parse_fleet_view(R"({"models":[{"name":"m","standby":{"hot":"one"}}]})");
  ASSERT_FALSE(counts);
  EXPECT_EQ(counts.error(), "models[0].standby.hot: expected an integer");
  EXPECT_FALSE(parse_fleet_view(R"({"instances":{}})"));
}

}  // namespace
}  // namespace sluice::drill
