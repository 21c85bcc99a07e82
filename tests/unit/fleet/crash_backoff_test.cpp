// Crash-loop backoff: free restarts, then 1 s, 2 s, 4 s… up to the maximum;
// a quiet window starts afresh.
#include "sluice/fleet/crash_backoff.h"

#include <gtest/gtest.h>

namespace sluice::fleet {
namespace {

using namespace std::chrono_literals;
const core::TimePoint t0{std::chrono::hours(1)};

TEST(FleetCrashBackoff, TheFreeRestartsAreAtOnce) {
  CrashBackoff b;
  b.failed("m", 2, t0);
  b.failed("m", 2, t0 + 1s);  // a poison request crashed both replicas
  EXPECT_EQ(b.hold("m"), 0s);
  EXPECT_LE(b.start_after("m"), t0 + 1s);
  EXPECT_EQ(b.failures("m", t0 + 1s), 2);
}

TEST(FleetCrashBackoff, ThenEachFailureDoublesTheHoldUpToTheMaximum) {
  CrashBackoff b({.window = 60s, .base = 1s, .max = 5s});
  b.failed("m", 1, t0);
  EXPECT_EQ(b.hold("m"), 0s);
  b.failed("m", 1, t0 + 10s);
  EXPECT_EQ(b.hold("m"), 1s);
  EXPECT_EQ(b.start_after("m"), t0 + 11s);
  b.failed("m", 1, t0 + 20s);
  EXPECT_EQ(b.hold("m"), 2s);
  b.failed("m", 1, t0 + 30s);
  EXPECT_EQ(b.hold("m"), 4s);
  b.failed("m", 1, t0 + 40s);
  EXPECT_EQ(b.hold("m"), 5s);  // capped
  b.failed("m", 1, t0 + 50s);
  EXPECT_EQ(b.hold("m"), 5s);
  EXPECT_EQ(b.failures("m", t0 + 50s), 6);
}

TEST(FleetCrashBackoff, AQuietWindowStartsAfresh) {
  CrashBackoff b({.window = 60s, .base = 1s, .max = 5min});
  for (int k = 0; k < 5; ++k) b.failed("m", 1, t0 + k * 1s);
  EXPECT_EQ(b.hold("m"), 8s);
  EXPECT_EQ(b.failures("m", t0 + 65s), 0);
  b.failed("m", 1, t0 + 70s);  // more than a window after the last
  EXPECT_EQ(b.hold("m"), 0s);
  EXPECT_EQ(b.failures("m", t0 + 70s), 1);
}

TEST(FleetCrashBackoff, ModelsAreHeldBackApart) {
  CrashBackoff b;
  b.failed("m", 0, t0);
  EXPECT_EQ(b.hold("m"), 1s);
  EXPECT_EQ(b.hold("n"), 0s);
  EXPECT_EQ(b.start_after("n"), core::TimePoint{});
}

}  // namespace
}  // namespace sluice::fleet
