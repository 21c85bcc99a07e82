// A zone fails when at least two of its instances failed within the window
// and they are the threshold's share of what ran there.
#include "sluice/fleet/zone_watch.h"

#include <gtest/gtest.h>

namespace sluice::fleet {
namespace {

using namespace std::chrono_literals;
const core::TimePoint t0{};

TEST(FleetZoneWatch, OneFailureIsNotAZoneFailure) {
  ZoneWatch watch(0.5, 30s);
  EXPECT_FALSE(watch.failed("a", 0, t0));  // even the zone's only instance
}

TEST(FleetZoneWatch, TheThresholdShareWithinTheWindow) {
  ZoneWatch watch(0.5, 30s);
  EXPECT_FALSE(watch.failed("a", 4, t0));       // 1 of 5
  EXPECT_FALSE(watch.failed("a", 3, t0 + 1s));  // 2 of 5
  EXPECT_TRUE(watch.failed("a", 2, t0 + 2s));   // 3 of 5
}

TEST(FleetZoneWatch, FailuresOutsideTheWindowOrInOtherZonesDoNotCount) {
  ZoneWatch watch(0.5, 30s);
  EXPECT_FALSE(watch.failed("a", 1, t0));
  EXPECT_FALSE(watch.failed("b", 1, t0 + 1s));
  EXPECT_FALSE(watch.failed("a", 1, t0 + 31s));  // the first one has aged out: 1 of 2
  EXPECT_TRUE(watch.failed("a", 0, t0 + 32s));   // 2 of 2
  watch.clear();
  EXPECT_FALSE(watch.failed("a", 0, t0 + 33s));
}

}  // namespace
}  // namespace sluice::fleet
