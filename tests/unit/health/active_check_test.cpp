#include "sluice/health/active_check.h"

#include <gtest/gtest.h>

#include <chrono>
#include <limits>

namespace sluice::health {
namespace {

using namespace std::chrono_literals;

constexpr core::TimePoint kT0{std::chrono::seconds(1000)};

ActiveCheckConfig thresholds(std::uint32_t unhealthy, std::uint32_t healthy) {
  ActiveCheckConfig c;
  c.unhealthy_threshold = unhealthy;
  c.healthy_threshold = healthy;
  return c;
}

/// Checks every 5 s (10% jitter), for round numbers.
ActiveCheckConfig every_5s() {
  ActiveCheckConfig c;
  c.interval = 5s;
  c.timeout = 2s;
  return c;
}

TEST(HealthActiveCheck, DefaultsAreTheDocumentedOnes) {
  const ActiveCheckConfig c;
  EXPECT_EQ(c.path, "/health");
  EXPECT_EQ(c.interval, 2s);
  EXPECT_EQ(c.timeout, 1500ms);
  EXPECT_EQ(c.unhealthy_threshold, 2u);
  EXPECT_EQ(c.healthy_threshold, 2u);
  EXPECT_EQ(c.jitter_percent, 10u);
}

TEST(HealthActiveCheck, StartsUnhealthyUntilItPasses) {
  ActiveCheckState s(thresholds(3, 2));
  EXPECT_FALSE(s.healthy());
  EXPECT_FALSE(s.ever_passed());
  EXPECT_FALSE(s.changed_at().has_value());
  // Failures before the first pass keep it unhealthy, with no transition.
  EXPECT_EQ(s.on_result(false, kT0), HealthTransition::kNone);
  EXPECT_EQ(s.on_result(false, kT0 + 5s), HealthTransition::kNone);
  EXPECT_FALSE(s.healthy());
  EXPECT_EQ(s.consecutive_failures(), 2u);
}

TEST(HealthActiveCheck, FirstPassEverIsEnoughDespiteHealthyThreshold) {
  ActiveCheckState s(thresholds(3, 2));
  EXPECT_EQ(s.on_result(false, kT0), HealthTransition::kNone);
  EXPECT_EQ(s.on_result(true, kT0 + 5s), HealthTransition::kBecameHealthy);
  EXPECT_TRUE(s.healthy());
  EXPECT_TRUE(s.ever_passed());
  EXPECT_EQ(s.changed_at(), kT0 + 5s);
  EXPECT_EQ(s.consecutive_failures(), 0u);
  EXPECT_EQ(s.consecutive_passes(), 1u);
}

TEST(HealthActiveCheck, UnhealthyExactlyAtTheThresholdthFailure) {
  ActiveCheckState s(thresholds(3, 2));
  ASSERT_EQ(s.on_result(true, kT0), HealthTransition::kBecameHealthy);
  EXPECT_EQ(s.on_result(false, kT0 + 5s), HealthTransition::kNone);
  EXPECT_EQ(s.on_result(false, kT0 + 10s), HealthTransition::kNone);
  EXPECT_TRUE(s.healthy());
  EXPECT_EQ(s.on_result(false, kT0 + 15s), HealthTransition::kBecameUnhealthy);
  EXPECT_FALSE(s.healthy());
  EXPECT_EQ(s.changed_at(), kT0 + 15s);
  // Further failures change nothing.
  EXPECT_EQ(s.on_result(false, kT0 + 20s), HealthTransition::kNone);
  EXPECT_EQ(s.changed_at(), kT0 + 15s);
  EXPECT_EQ(s.consecutive_failures(), 4u);
}

TEST(HealthActiveCheck, APassResetsTheFailureRun) {
  ActiveCheckState s(thresholds(3, 2));
  ASSERT_EQ(s.on_result(true, kT0), HealthTransition::kBecameHealthy);
  s.on_result(false, kT0 + 1s);
  s.on_result(false, kT0 + 2s);
  EXPECT_EQ(s.on_result(true, kT0 + 3s), HealthTransition::kNone);
  EXPECT_EQ(s.consecutive_failures(), 0u);
  s.on_result(false, kT0 + 4s);
  s.on_result(false, kT0 + 5s);
  EXPECT_TRUE(s.healthy());
  EXPECT_EQ(s.on_result(false, kT0 + 6s), HealthTransition::kBecameUnhealthy);
}

TEST(HealthActiveCheck, RecoveryAfterTheFirstPassNeedsHealthyThreshold) {
  ActiveCheckState s(thresholds(2, 3));
  ASSERT_EQ(s.on_result(true, kT0), HealthTransition::kBecameHealthy);
  s.on_result(false, kT0 + 1s);
  ASSERT_EQ(s.on_result(false, kT0 + 2s), HealthTransition::kBecameUnhealthy);
  EXPECT_EQ(s.on_result(true, kT0 + 3s), HealthTransition::kNone);
  EXPECT_EQ(s.on_result(true, kT0 + 4s), HealthTransition::kNone);
  EXPECT_FALSE(s.healthy());
  EXPECT_EQ(s.on_result(true, kT0 + 5s), HealthTransition::kBecameHealthy);
  EXPECT_TRUE(s.healthy());
  EXPECT_EQ(s.changed_at(), kT0 + 5s);
}

TEST(HealthActiveCheck, AFailureResetsThePassRun) {
  ActiveCheckState s(thresholds(1, 2));
  ASSERT_EQ(s.on_result(true, kT0), HealthTransition::kBecameHealthy);
  ASSERT_EQ(s.on_result(false, kT0 + 1s), HealthTransition::kBecameUnhealthy);
  EXPECT_EQ(s.on_result(true, kT0 + 2s), HealthTransition::kNone);
  EXPECT_EQ(s.on_result(false, kT0 + 3s), HealthTransition::kNone);
  EXPECT_EQ(s.consecutive_passes(), 0u);
  EXPECT_EQ(s.on_result(true, kT0 + 4s), HealthTransition::kNone);
  EXPECT_EQ(s.on_result(true, kT0 + 5s), HealthTransition::kBecameHealthy);
}

TEST(HealthActiveCheck, ZeroThresholdsActAsOne) {
  ActiveCheckState s(thresholds(0, 0));
  ASSERT_EQ(s.on_result(true, kT0), HealthTransition::kBecameHealthy);
  EXPECT_EQ(s.on_result(false, kT0 + 1s), HealthTransition::kBecameUnhealthy);
  EXPECT_EQ(s.on_result(true, kT0 + 2s), HealthTransition::kBecameHealthy);
}

TEST(HealthActiveCheck, NextCheckIsIntervalPlusJitterFromTheInjectedDraw) {
  const ActiveCheckState s(every_5s());  // 5s interval, 10% jitter: a 500ms window
  EXPECT_EQ(s.next_check_at(kT0, 0.0), kT0 + 5s);
  EXPECT_EQ(s.next_check_at(kT0, 0.5), kT0 + 5s + 250ms);
  EXPECT_EQ(s.next_check_at(kT0, 0.25), kT0 + 5s + 125ms);
  EXPECT_EQ(s.next_check_at(kT0, 0.999), kT0 + 5s + 499500us);
}

TEST(HealthActiveCheck, JitterStaysInsideItsWindow) {
  const ActiveCheckState s(every_5s());
  const auto lo = kT0 + 5s;
  const auto hi = kT0 + 5s + 500ms;  // exclusive
  for (double u : {0.0, 1e-12, 0.1, 0.3333, 0.75, 0.999999999, 1.0, 1.5, -0.5,
                   std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::infinity()}) {
    const auto t = s.next_check_at(kT0, u);
    EXPECT_GE(t, lo) << u;
    EXPECT_LT(t, hi) << u;
  }
  // Out-of-range draws are clamped: below 0 to the start, 1 and above to the last nanosecond.
  EXPECT_EQ(s.next_check_at(kT0, -0.5), lo);
  EXPECT_EQ(s.next_check_at(kT0, std::numeric_limits<double>::quiet_NaN()), lo);
  EXPECT_EQ(s.next_check_at(kT0, 1.0), hi - 1ns);
  EXPECT_EQ(s.next_check_at(kT0, 7.0), hi - 1ns);
}

TEST(HealthActiveCheck, NoJitterWhenPercentIsZero) {
  ActiveCheckConfig c;
  c.interval = 3s;
  c.jitter_percent = 0;
  const ActiveCheckState s(c);
  EXPECT_EQ(s.next_check_at(kT0, 0.9), kT0 + 3s);
  EXPECT_EQ(s.first_check_at(kT0, 0.9), kT0);
}

TEST(HealthActiveCheck, FirstCheckFallsInsideTheJitterWindow) {
  ActiveCheckConfig c;
  c.interval = 10s;
  c.jitter_percent = 20;  // a 2s window
  const ActiveCheckState s(c);
  EXPECT_EQ(s.first_check_at(kT0, 0.0), kT0);
  EXPECT_EQ(s.first_check_at(kT0, 0.5), kT0 + 1s);
  EXPECT_EQ(s.first_check_at(kT0, 0.75), kT0 + 1500ms);
  EXPECT_EQ(s.next_check_at(kT0, 0.75), kT0 + 11500ms);
}

TEST(HealthActiveCheck, DrivenByAManualClock) {
  core::ManualClock clock(kT0);
  ActiveCheckState s(every_5s());
  // A fresh instance is first probed within the jitter window, then every interval + jitter.
  auto due = s.first_check_at(clock.now(), 0.2);
  EXPECT_EQ(due, kT0 + 100ms);
  clock.set(due);
  EXPECT_EQ(s.on_result(true, clock.now()), HealthTransition::kBecameHealthy);
  due = s.next_check_at(clock.now(), 0.4);
  EXPECT_EQ(due, kT0 + 100ms + 5s + 200ms);
  clock.set(due);
  EXPECT_EQ(s.on_result(false, clock.now()), HealthTransition::kNone);
  EXPECT_EQ(s.changed_at(), kT0 + 100ms);
}

}  // namespace
}  // namespace sluice::health
