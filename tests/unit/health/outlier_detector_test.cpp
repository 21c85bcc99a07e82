#include "sluice/health/outlier_detector.h"

#include <gtest/gtest.h>

#include <chrono>
#include <optional>

namespace sluice::health {
namespace {

using namespace std::chrono_literals;

constexpr core::TimePoint kT0{std::chrono::seconds(1000)};

/// Records `n` copies of `outcome`; returns the last result.
std::optional<Ejection> record_n(OutlierDetector& d, std::size_t instance, int n, Outcome outcome, core::TimePoint now) {
  std::optional<Ejection> last;
  for (int k = 0; k < n; ++k) last = d.record(instance, outcome, now);
  return last;
}

/// Only the consecutive rules, so a test sees one rule at a time.
OutlierConfig consecutive_only() {
  OutlierConfig c;
  c.enforce_failure_percentage = false;
  return c;
}

/// Only the failure-percentage rule.
OutlierConfig percentage_only() {
  OutlierConfig c;
  c.consecutive_5xx = 0;
  c.consecutive_gateway_failure = 0;
  return c;
}

std::uint64_t ejections(const OutlierDetector& d, std::size_t i, EjectReason r) {
  return d.counters(i).ejections[static_cast<std::size_t>(r)];
}

TEST(HealthOutlier, DefaultsAreTheDocumentedOnes) {
  const OutlierConfig c;
  EXPECT_EQ(c.consecutive_5xx, 5u);
  EXPECT_EQ(c.consecutive_gateway_failure, 3u);
  EXPECT_EQ(c.interval, 10s);
  EXPECT_EQ(c.base_ejection_time, 30s);
  EXPECT_EQ(c.max_ejection_time, 300s);
  EXPECT_EQ(c.max_ejection_percent, 50u);
  EXPECT_TRUE(c.enforce_failure_percentage);
  EXPECT_EQ(c.failure_percentage_threshold, 85u);
  EXPECT_EQ(c.failure_percentage_minimum_hosts, 3u);
  EXPECT_EQ(c.failure_percentage_request_volume, 20u);
  EXPECT_EQ(c.panic_threshold_percent, 50u);
}

TEST(HealthOutlier, ReasonNames) {
  EXPECT_EQ(to_string(EjectReason::kConsecutive5xx), "consecutive_5xx");
  EXPECT_EQ(to_string(EjectReason::kConsecutiveGatewayFailure), "consecutive_gateway_failure");
  EXPECT_EQ(to_string(EjectReason::kFailurePercentage), "failure_percentage");
}

TEST(HealthOutlier, Consecutive5xxEjectsExactlyAtTheFifth) {
  OutlierDetector d(consecutive_only(), 10);
  for (int k = 1; k <= 4; ++k) {
    EXPECT_FALSE(d.record(3, Outcome::k5xx, kT0).has_value()) << k;
    EXPECT_EQ(d.consecutive_5xx(3), static_cast<std::uint32_t>(k));
  }
  EXPECT_FALSE(d.ejected(3, kT0));
  const auto e = d.record(3, Outcome::k5xx, kT0 + 1s);
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->reason, EjectReason::kConsecutive5xx);
  EXPECT_EQ(e->until, kT0 + 1s + 30s);
  EXPECT_TRUE(d.ejected(3, kT0 + 1s));
  EXPECT_EQ(d.ejected_until(3), kT0 + 31s);
  EXPECT_EQ(d.ejected_count(kT0 + 1s), 1u);
  EXPECT_EQ(ejections(d, 3, EjectReason::kConsecutive5xx), 1u);
  EXPECT_EQ(ejections(d, 3, EjectReason::kConsecutiveGatewayFailure), 0u);
  EXPECT_EQ(d.consecutive_5xx(3), 0u);  // the run starts over
  EXPECT_EQ(d.multiplier(3), 1u);
  for (std::size_t i = 0; i < 10; ++i) {
    if (i != 3) {
      EXPECT_FALSE(d.ejected(i, kT0 + 1s)) << i;
    }
  }
}

TEST(HealthOutlier, ASuccessResetsThe5xxRun) {
  OutlierDetector d(consecutive_only(), 10);
  EXPECT_FALSE(record_n(d, 0, 4, Outcome::k5xx, kT0));
  EXPECT_FALSE(d.record(0, Outcome::kSuccess, kT0));
  EXPECT_EQ(d.consecutive_5xx(0), 0u);
  EXPECT_FALSE(record_n(d, 0, 4, Outcome::k5xx, kT0));
  EXPECT_FALSE(d.ejected(0, kT0));
  EXPECT_TRUE(d.record(0, Outcome::k5xx, kT0));
}

TEST(HealthOutlier, IgnoredOutcomesNeitherCountNorReset) {
  OutlierDetector d(consecutive_only(), 10);
  EXPECT_FALSE(record_n(d, 0, 4, Outcome::k5xx, kT0));
  EXPECT_FALSE(record_n(d, 0, 10, Outcome::kIgnored, kT0));
  EXPECT_EQ(d.consecutive_5xx(0), 4u);
  EXPECT_TRUE(d.record(0, Outcome::k5xx, kT0));
}

TEST(HealthOutlier, GatewayFailuresEjectAtTheThird) {
  OutlierDetector d(consecutive_only(), 10);
  EXPECT_FALSE(record_n(d, 7, 2, Outcome::kGatewayFailure, kT0));
  EXPECT_EQ(d.consecutive_gateway_failures(7), 2u);
  EXPECT_EQ(d.consecutive_5xx(7), 2u);  // gateway failures count as 5xx too
  const auto e = d.record(7, Outcome::kGatewayFailure, kT0 + 2s);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->reason, EjectReason::kConsecutiveGatewayFailure);
  EXPECT_EQ(e->until, kT0 + 32s);
  EXPECT_EQ(ejections(d, 7, EjectReason::kConsecutiveGatewayFailure), 1u);
  EXPECT_EQ(d.consecutive_gateway_failures(7), 0u);
}

TEST(HealthOutlier, AStalledInstanceIsEjectedAtOnceWithinTheEjectionCap) {
  OutlierDetector d(consecutive_only(), 2);
  const auto e = d.record(1, Outcome::kStalled, kT0);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->reason, EjectReason::kStalled);
  EXPECT_EQ(ejections(d, 1, EjectReason::kStalled), 1u);
  EXPECT_EQ(to_string(EjectReason::kStalled), "stalled");
  // The cap (50%) keeps the other one in, whatever it does.
  EXPECT_FALSE(d.record(0, Outcome::kStalled, kT0 + 1s));
  // A pool of one is never ejected.
  OutlierDetector one(consecutive_only(), 1);
  EXPECT_FALSE(one.record(0, Outcome::kStalled, kT0));
}

TEST(HealthOutlier, ASuccessResetsTheGatewayRun) {
  OutlierDetector d(consecutive_only(), 10);
  EXPECT_FALSE(record_n(d, 0, 2, Outcome::kGatewayFailure, kT0));
  EXPECT_FALSE(d.record(0, Outcome::kSuccess, kT0));
  EXPECT_FALSE(record_n(d, 0, 2, Outcome::kGatewayFailure, kT0));
  EXPECT_EQ(d.record(0, Outcome::kGatewayFailure, kT0)->reason, EjectReason::kConsecutiveGatewayFailure);
}

TEST(HealthOutlier, A5xxEndsAGatewayRunButBothCountTowardsThe5xxRun) {
  OutlierDetector d(consecutive_only(), 10);
  EXPECT_FALSE(record_n(d, 0, 2, Outcome::kGatewayFailure, kT0));
  EXPECT_FALSE(d.record(0, Outcome::k5xx, kT0));
  EXPECT_EQ(d.consecutive_gateway_failures(0), 0u);
  EXPECT_FALSE(d.record(0, Outcome::kGatewayFailure, kT0));
  const auto e = d.record(0, Outcome::kGatewayFailure, kT0);  // 5th server-side failure, 2nd gateway in a row
  ASSERT_TRUE(e);
  EXPECT_EQ(e->reason, EjectReason::kConsecutive5xx);
}

TEST(HealthOutlier, WhenBothRunsReachTheirThresholdsTheReasonIsTheGatewayFailure) {
  OutlierConfig c = consecutive_only();
  c.consecutive_5xx = 3;
  c.consecutive_gateway_failure = 3;
  OutlierDetector d(c, 10);
  EXPECT_EQ(record_n(d, 0, 3, Outcome::kGatewayFailure, kT0)->reason, EjectReason::kConsecutiveGatewayFailure);
  EXPECT_EQ(ejections(d, 0, EjectReason::kConsecutive5xx), 0u);
}

TEST(HealthOutlier, ZeroThresholdsDisableTheConsecutiveRules) {
  OutlierConfig c = consecutive_only();
  c.consecutive_5xx = 0;
  c.consecutive_gateway_failure = 0;
  OutlierDetector d(c, 10);
  EXPECT_FALSE(record_n(d, 0, 100, Outcome::k5xx, kT0));
  EXPECT_FALSE(record_n(d, 0, 100, Outcome::kGatewayFailure, kT0));
  EXPECT_EQ(d.ejected_count(kT0), 0u);
}

TEST(HealthOutlier, EjectionEndsAtTheExactInstant) {
  OutlierDetector d(consecutive_only(), 10);
  ASSERT_TRUE(record_n(d, 2, 5, Outcome::k5xx, kT0));
  EXPECT_TRUE(d.ejected(2, kT0 + 30s - 1ns));
  EXPECT_FALSE(d.ejected(2, kT0 + 30s));
  // The sweep records the return only once the time has come.
  EXPECT_TRUE(d.evaluate(kT0 + 30s - 1ns).returned.empty());
  EXPECT_EQ(d.counters(2).returns, 0u);
  const auto report = d.evaluate(kT0 + 30s);
  EXPECT_EQ(report.returned, std::vector<std::size_t>{2});
  EXPECT_EQ(d.counters(2).returns, 1u);
  EXPECT_TRUE(d.evaluate(kT0 + 40s).returned.empty());
  EXPECT_EQ(d.counters(2).returns, 1u);
}

TEST(HealthOutlier, EjectionTimeIsBaseTimesEjectionsInARowCappedAtMax) {
  OutlierConfig c = consecutive_only();
  c.consecutive_5xx = 1;
  OutlierDetector d(c, 10);
  core::TimePoint now = kT0;
  for (int k = 1; k <= 12; ++k) {
    const auto expected = std::min<core::Duration>(30s * k, 300s);
    EXPECT_EQ(d.next_ejection_time(4), expected) << k;
    const auto e = d.record(4, Outcome::k5xx, now);
    ASSERT_TRUE(e) << k;
    EXPECT_EQ(e->until, now + expected) << k;
    EXPECT_EQ(d.multiplier(4), static_cast<std::uint32_t>(std::min(k, 10))) << k;
    now = e->until;  // back at exactly that instant, and failing again at once
    EXPECT_FALSE(d.ejected(4, now));
  }
  EXPECT_EQ(ejections(d, 4, EjectReason::kConsecutive5xx), 12u);
  // Each re-ejection found the previous one over without a sweep in between.
  EXPECT_EQ(d.counters(4).returns, 11u);
}

TEST(HealthOutlier, MaxEjectionTimeBelowBaseMeansBase) {
  OutlierConfig c = consecutive_only();
  c.consecutive_5xx = 1;
  c.base_ejection_time = 60s;
  c.max_ejection_time = 10s;
  OutlierDetector d(c, 10);
  EXPECT_EQ(d.record(0, Outcome::k5xx, kT0)->until, kT0 + 60s);
  EXPECT_EQ(d.record(0, Outcome::k5xx, kT0 + 60s)->until, kT0 + 120s);
  EXPECT_EQ(d.multiplier(0), 1u);
}

TEST(HealthOutlier, TheMultiplierDropsByOneEachSweepThatFindsTheInstanceIn) {
  OutlierConfig c = consecutive_only();
  c.consecutive_5xx = 1;
  OutlierDetector d(c, 10);
  ASSERT_EQ(d.record(0, Outcome::k5xx, kT0)->until, kT0 + 30s);
  ASSERT_EQ(d.record(0, Outcome::k5xx, kT0 + 30s)->until, kT0 + 90s);  // 2 × 30s
  EXPECT_EQ(d.multiplier(0), 2u);
  // Sweeps while ejected leave the multiplier alone; the sweep that records
  // the return does too.
  d.evaluate(kT0 + 40s);
  EXPECT_EQ(d.multiplier(0), 2u);
  EXPECT_EQ(d.evaluate(kT0 + 90s).returned, std::vector<std::size_t>{0});
  EXPECT_EQ(d.multiplier(0), 2u);
  d.evaluate(kT0 + 100s);
  EXPECT_EQ(d.multiplier(0), 1u);
  EXPECT_EQ(d.next_ejection_time(0), 60s);
  d.evaluate(kT0 + 110s);
  EXPECT_EQ(d.multiplier(0), 0u);
  d.evaluate(kT0 + 120s);
  EXPECT_EQ(d.multiplier(0), 0u);
  EXPECT_EQ(d.record(0, Outcome::k5xx, kT0 + 125s)->until, kT0 + 155s);
}

TEST(HealthOutlier, OutcomesWhileEjectedAreIgnored) {
  OutlierDetector d(consecutive_only(), 10);
  ASSERT_TRUE(record_n(d, 0, 5, Outcome::k5xx, kT0));
  EXPECT_FALSE(record_n(d, 0, 20, Outcome::k5xx, kT0 + 1s));
  EXPECT_EQ(d.consecutive_5xx(0), 0u);
  EXPECT_EQ(d.ejected_until(0), kT0 + 30s);  // neither extended nor shortened
  EXPECT_EQ(ejections(d, 0, EjectReason::kConsecutive5xx), 1u);
  // Back at 30s, it takes a full new run of 5.
  EXPECT_FALSE(record_n(d, 0, 4, Outcome::k5xx, kT0 + 30s));
  const auto e = d.record(0, Outcome::k5xx, kT0 + 30s);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->until, kT0 + 30s + 60s);
}

TEST(HealthOutlier, MaxEjectionPercentCapsEjections) {
  OutlierDetector d(consecutive_only(), 10);  // 50% of 10: at most 5
  for (std::size_t i = 0; i < 5; ++i) {
    ASSERT_TRUE(record_n(d, i, 5, Outcome::k5xx, kT0 + std::chrono::seconds(i))) << i;
  }
  EXPECT_EQ(d.ejected_count(kT0 + 5s), 5u);
  // The 6th outlier stays in; each refused attempt counts as an overflow.
  EXPECT_FALSE(record_n(d, 5, 5, Outcome::k5xx, kT0 + 5s));
  EXPECT_FALSE(d.ejected(5, kT0 + 5s));
  EXPECT_EQ(d.counters(5).overflow, 1u);
  EXPECT_FALSE(d.record(5, Outcome::k5xx, kT0 + 6s));
  EXPECT_EQ(d.counters(5).overflow, 2u);
  EXPECT_EQ(d.consecutive_5xx(5), 6u);
  EXPECT_EQ(ejections(d, 5, EjectReason::kConsecutive5xx), 0u);
  // Instance 0 comes back at kT0 + 30s; the 6th outlier's next failure ejects it.
  const auto e = d.record(5, Outcome::k5xx, kT0 + 30s);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->reason, EjectReason::kConsecutive5xx);
  EXPECT_EQ(d.ejected_count(kT0 + 30s), 5u);
  EXPECT_FALSE(d.ejected(0, kT0 + 30s));
}

TEST(HealthOutlier, MaxEjectionPercentIsNeverExceededEvenForOneInstance) {
  {
    OutlierDetector d(consecutive_only(), 1);
    EXPECT_FALSE(record_n(d, 0, 5, Outcome::k5xx, kT0));
    EXPECT_EQ(d.counters(0).overflow, 1u);
  }
  {
    OutlierDetector d(consecutive_only(), 2);  // 1 of 2 is 50%
    EXPECT_TRUE(record_n(d, 0, 5, Outcome::k5xx, kT0));
    EXPECT_FALSE(record_n(d, 1, 5, Outcome::k5xx, kT0));
  }
  {
    OutlierDetector d(consecutive_only(), 3);  // 2 of 3 would be 67%
    EXPECT_TRUE(record_n(d, 0, 5, Outcome::k5xx, kT0));
    EXPECT_FALSE(record_n(d, 1, 5, Outcome::k5xx, kT0));
    EXPECT_EQ(d.ejected_count(kT0), 1u);
  }
  {
    OutlierConfig c = consecutive_only();
    c.max_ejection_percent = 100;
    OutlierDetector d(c, 3);
    for (std::size_t i = 0; i < 3; ++i) EXPECT_TRUE(record_n(d, i, 5, Outcome::k5xx, kT0)) << i;
  }
  {
    OutlierConfig c = consecutive_only();
    c.max_ejection_percent = 0;
    OutlierDetector d(c, 10);
    EXPECT_FALSE(record_n(d, 0, 5, Outcome::k5xx, kT0));
  }
}

TEST(HealthOutlier, FailurePercentageEjectsAtTheThresholdWithEnoughVolumeAndHosts) {
  OutlierDetector d(percentage_only(), 3);
  EXPECT_FALSE(record_n(d, 0, 17, Outcome::k5xx, kT0));
  EXPECT_FALSE(record_n(d, 0, 3, Outcome::kSuccess, kT0));  // 17 of 20: exactly 85%
  EXPECT_FALSE(record_n(d, 1, 20, Outcome::kSuccess, kT0));
  EXPECT_FALSE(record_n(d, 2, 20, Outcome::kSuccess, kT0));
  EXPECT_FALSE(d.ejected(0, kT0));  // judged only at the sweep
  const auto report = d.evaluate(kT0 + 10s);
  EXPECT_EQ(report.ejected, std::vector<std::size_t>{0});
  EXPECT_TRUE(d.ejected(0, kT0 + 10s));
  EXPECT_EQ(d.ejected_until(0), kT0 + 40s);
  EXPECT_EQ(ejections(d, 0, EjectReason::kFailurePercentage), 1u);
}

TEST(HealthOutlier, FailurePercentageBelowTheThresholdDoesNotEject) {
  OutlierDetector d(percentage_only(), 3);
  record_n(d, 0, 16, Outcome::kGatewayFailure, kT0);
  record_n(d, 0, 4, Outcome::kSuccess, kT0);  // 80%
  record_n(d, 1, 20, Outcome::kSuccess, kT0);
  record_n(d, 2, 20, Outcome::kSuccess, kT0);
  EXPECT_TRUE(d.evaluate(kT0 + 10s).ejected.empty());
}

TEST(HealthOutlier, FailurePercentageNeedsRequestVolume) {
  OutlierDetector d(percentage_only(), 4);
  record_n(d, 0, 19, Outcome::k5xx, kT0);  // 100%, but 19 < 20 requests
  record_n(d, 1, 20, Outcome::kSuccess, kT0);
  record_n(d, 2, 20, Outcome::kSuccess, kT0);
  record_n(d, 3, 20, Outcome::kSuccess, kT0);
  EXPECT_TRUE(d.evaluate(kT0 + 10s).ejected.empty());
  // Ignored outcomes are not volume.
  record_n(d, 0, 19, Outcome::k5xx, kT0 + 11s);
  record_n(d, 0, 5, Outcome::kIgnored, kT0 + 11s);
  record_n(d, 1, 20, Outcome::kSuccess, kT0 + 11s);
  record_n(d, 2, 20, Outcome::kSuccess, kT0 + 11s);
  record_n(d, 3, 20, Outcome::kSuccess, kT0 + 11s);
  EXPECT_TRUE(d.evaluate(kT0 + 20s).ejected.empty());
  record_n(d, 0, 20, Outcome::k5xx, kT0 + 21s);
  record_n(d, 1, 20, Outcome::kSuccess, kT0 + 21s);
  record_n(d, 2, 20, Outcome::kSuccess, kT0 + 21s);
  EXPECT_EQ(d.evaluate(kT0 + 30s).ejected, std::vector<std::size_t>{0});
}

TEST(HealthOutlier, FailurePercentageNeedsEnoughHostsWithVolume) {
  OutlierDetector d(percentage_only(), 10);
  record_n(d, 0, 50, Outcome::k5xx, kT0);
  record_n(d, 1, 50, Outcome::kSuccess, kT0);
  for (std::size_t i = 2; i < 10; ++i) record_n(d, i, 19, Outcome::kSuccess, kT0);  // below volume
  EXPECT_TRUE(d.evaluate(kT0 + 10s).ejected.empty());  // 2 hosts with volume < 3
  record_n(d, 0, 50, Outcome::k5xx, kT0 + 11s);
  record_n(d, 1, 50, Outcome::kSuccess, kT0 + 11s);
  record_n(d, 2, 20, Outcome::kSuccess, kT0 + 11s);
  EXPECT_EQ(d.evaluate(kT0 + 20s).ejected, std::vector<std::size_t>{0});
}

TEST(HealthOutlier, EachSweepStartsANewWindow) {
  OutlierDetector d(percentage_only(), 3);
  for (int w = 0; w < 2; ++w) {
    const auto t = kT0 + std::chrono::seconds(10 * w);
    record_n(d, 0, 10, Outcome::k5xx, t);
    record_n(d, 1, 10, Outcome::kSuccess, t);
    record_n(d, 2, 10, Outcome::kSuccess, t);
    EXPECT_TRUE(d.evaluate(t + 10s).ejected.empty()) << w;  // 10 per window, never 20
  }
}

TEST(HealthOutlier, FailurePercentageEjectsTheWorstFirstUpToTheCap) {
  OutlierDetector d(percentage_only(), 4);  // 50% of 4: at most 2
  record_n(d, 0, 18, Outcome::k5xx, kT0);
  record_n(d, 0, 2, Outcome::kSuccess, kT0);  // 90%
  record_n(d, 1, 20, Outcome::k5xx, kT0);     // 100%
  record_n(d, 2, 19, Outcome::k5xx, kT0);
  record_n(d, 2, 1, Outcome::kSuccess, kT0);  // 95%
  record_n(d, 3, 20, Outcome::kSuccess, kT0);
  const auto report = d.evaluate(kT0 + 10s);
  EXPECT_EQ(report.ejected, (std::vector<std::size_t>{1, 2}));
  EXPECT_FALSE(d.ejected(0, kT0 + 10s));
  EXPECT_EQ(d.counters(0).overflow, 1u);
}

TEST(HealthOutlier, FailurePercentageCanBeSwitchedOff) {
  OutlierConfig c = percentage_only();
  c.enforce_failure_percentage = false;
  OutlierDetector d(c, 3);
  for (std::size_t i = 0; i < 3; ++i) record_n(d, i, 100, Outcome::k5xx, kT0);
  EXPECT_TRUE(d.evaluate(kT0 + 10s).ejected.empty());
}

TEST(HealthOutlier, PanicWhenTooFewInstancesAreLeft) {
  OutlierConfig c = consecutive_only();
  c.max_ejection_percent = 100;
  OutlierDetector d(c, 10);
  for (std::size_t i = 0; i < 5; ++i) ASSERT_TRUE(record_n(d, i, 5, Outcome::k5xx, kT0));
  // 5 of 10 usable is 50%: not below the threshold.
  EXPECT_FALSE(d.panic(kT0));
  EXPECT_FALSE(d.usable(0, kT0));
  EXPECT_TRUE(d.usable(9, kT0));
  ASSERT_TRUE(record_n(d, 5, 5, Outcome::k5xx, kT0));
  // 4 of 10: panic, and every instance is used anyway.
  EXPECT_TRUE(d.panic(kT0));
  for (std::size_t i = 0; i < 10; ++i) EXPECT_TRUE(d.usable(i, kT0)) << i;
  // When the ejections end, panic ends.
  EXPECT_FALSE(d.panic(kT0 + 30s));
  EXPECT_TRUE(d.usable(0, kT0 + 30s));
}

TEST(HealthOutlier, ByDefaultEjectionAloneNeverPanics) {
  OutlierDetector d(consecutive_only(), 10);
  for (std::size_t i = 0; i < 10; ++i) record_n(d, i, 5, Outcome::k5xx, kT0);
  EXPECT_EQ(d.ejected_count(kT0), 5u);
  EXPECT_FALSE(d.panic(kT0));
}

TEST(HealthPanic, ThresholdIsStrict) {
  EXPECT_FALSE(in_panic(5, 10, 50));
  EXPECT_TRUE(in_panic(4, 10, 50));
  EXPECT_TRUE(in_panic(0, 1, 50));
  EXPECT_FALSE(in_panic(1, 1, 50));
  EXPECT_FALSE(in_panic(1, 2, 50));
  EXPECT_TRUE(in_panic(1, 3, 50));
  EXPECT_TRUE(in_panic(9, 10, 100));
  EXPECT_FALSE(in_panic(10, 10, 100));
}

TEST(HealthPanic, ZeroThresholdAndEmptyPoolNeverPanic) {
  EXPECT_FALSE(in_panic(0, 10, 0));
  EXPECT_FALSE(in_panic(0, 0, 50));
}

TEST(HealthPanic, MayUse) {
  EXPECT_TRUE(may_use(true, false, false));
  EXPECT_FALSE(may_use(false, false, false));
  EXPECT_FALSE(may_use(true, true, false));
  EXPECT_FALSE(may_use(false, true, false));
  EXPECT_TRUE(may_use(false, true, true));
  EXPECT_TRUE(may_use(false, false, true));
  EXPECT_TRUE(may_use(true, true, true));
}

TEST(HealthPanic, CombinesActiveHealthAndEjection) {
  // 4 instances: 0 fails its active checks, 1 is ejected; 2 of 4 usable is
  // not below 50%. With 2 failing its checks too, 1 of 4 is: panic.
  OutlierConfig c = consecutive_only();
  OutlierDetector d(c, 4);
  ASSERT_TRUE(record_n(d, 1, 5, Outcome::k5xx, kT0));
  bool healthy[4] = {false, true, true, true};
  const auto usable = [&] {
    std::size_t n = 0;
    for (std::size_t i = 0; i < 4; ++i) n += (healthy[i] && !d.ejected(i, kT0)) ? 1 : 0;
    return n;
  };
  EXPECT_FALSE(in_panic(usable(), 4, c.panic_threshold_percent));
  healthy[2] = false;
  EXPECT_TRUE(in_panic(usable(), 4, c.panic_threshold_percent));
}

}  // namespace
}  // namespace sluice::health
