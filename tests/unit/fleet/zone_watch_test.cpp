// A zone fails when instances on two or more of its nodes failed within the
// window, they are the threshold's share of what ran there, and another
// zone is up; it recovers by itself once the window has passed.
#include "sluice/fleet/zone_watch.h"

#include <gtest/gtest.h>

namespace sluice::fleet {
namespace {

using namespace std::chrono_literals;
const core::TimePoint t0{};

ZoneWatch::Failure in(std::string zone, std::string node, int still_running, bool other_zone_up = true) {
  return {.zone = std::move(zone), .node = std::move(node), .still_running = still_running,
          .other_zone_up = other_zone_up};
}

TEST(FleetZoneWatch, OneFailureIsNotAZoneFailure) {
  ZoneWatch watch(0.5, 30s);
  EXPECT_FALSE(watch.failed(in("a", "a1", 0), t0));  // even the zone's only instance
}

TEST(FleetZoneWatch, TheThresholdShareWithinTheWindow) {
  ZoneWatch watch(0.5, 30s);
  EXPECT_FALSE(watch.failed(in("a", "a1", 4), t0));       // 1 of 5
  EXPECT_FALSE(watch.failed(in("a", "a2", 3), t0 + 1s));  // 2 of 5
  EXPECT_TRUE(watch.failed(in("a", "a3", 2), t0 + 2s));   // 3 of 5
}

TEST(FleetZoneWatch, FailuresOutsideTheWindowOrInOtherZonesDoNotCount) {
  ZoneWatch watch(0.5, 30s);
  EXPECT_FALSE(watch.failed(in("a", "a1", 1), t0));
  EXPECT_FALSE(watch.failed(in("b", "b1", 1), t0 + 1s));
  EXPECT_FALSE(watch.failed(in("a", "a2", 1), t0 + 31s));  // the first one has aged out: 1 of 2
  EXPECT_TRUE(watch.failed(in("a", "a1", 0), t0 + 32s));   // 2 of 2, two nodes
  watch.clear();
  EXPECT_FALSE(watch.failed(in("a", "a2", 0), t0 + 33s));
}

TEST(FleetZoneWatch, CrashesOnOneNodeAreNotAZoneFailure) {
  // Two replicas of one model on the pool's only node, both crashed by one
  // poison request a second apart: restart them, do not fail the zone.
  ZoneWatch watch(0.5, 30s);
  EXPECT_FALSE(watch.failed(in("a", "a1", 1), t0));
  EXPECT_FALSE(watch.failed(in("a", "a1", 0), t0 + 1s));
  EXPECT_FALSE(watch.failed(in("a", "a1", 0), t0 + 2s));
}

TEST(FleetZoneWatch, TheLastZoneUpIsNeverFailedOver) {
  ZoneWatch watch(0.5, 30s);
  EXPECT_FALSE(watch.failed(in("a", "a1", 0, /*other_zone_up=*/false), t0));
  EXPECT_FALSE(watch.failed(in("a", "a2", 0, false), t0 + 1s));
  // The same failures with another zone up would have failed it.
  ZoneWatch with_b(0.5, 30s);
  EXPECT_FALSE(with_b.failed(in("a", "a1", 0), t0));
  EXPECT_TRUE(with_b.failed(in("a", "a2", 0), t0 + 1s));
}

TEST(FleetZoneWatch, AFailedZoneRecoversOnceItsWindowHasPassed) {
  ZoneWatch watch(0.5, 30s);
  (void)watch.failed(in("a", "a1", 0), t0);
  ASSERT_TRUE(watch.failed(in("a", "a2", 0), t0 + 1s));
  EXPECT_FALSE(watch.failed(in("a", "a1", 0), t0 + 2s));  // already failed: reported once
  EXPECT_TRUE(watch.recovered(t0 + 30s).empty());
  EXPECT_EQ(watch.recovered(t0 + 31s), std::vector<std::string>{"a"});
  EXPECT_TRUE(watch.recovered(t0 + 32s).empty());
  // Its old failures are forgotten with it: one new failure is not enough.
  EXPECT_FALSE(watch.failed(in("a", "a1", 0), t0 + 33s));
}

}  // namespace
}  // namespace sluice::fleet
