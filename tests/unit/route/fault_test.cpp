#include "sluice/route/fault.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>

namespace sluice::route {
namespace {

using namespace std::chrono_literals;

const double kJustBelowOne = std::nextafter(1.0, 0.0);

config::FaultConfig fault(double abort_percent, double delay_percent, core::Duration delay = 100ms) {
  return {.abort_percent = abort_percent, .abort_status = 429, .delay_percent = delay_percent, .delay = delay};
}

TEST(RouteFault, DefaultConfigInjectsNothing) {
  const FaultDecision d = decide_fault({}, 0.0, 0.0);
  EXPECT_FALSE(d.abort_status.has_value());
  EXPECT_EQ(d.delay, core::Duration::zero());
  EXPECT_FALSE(d.any());
}

TEST(RouteFault, ZeroPercentNeverHappens) {
  for (const double u : {0.0, 0.5, kJustBelowOne}) {
    const FaultDecision d = decide_fault(fault(0, 0), u, u);
    EXPECT_FALSE(d.abort_status.has_value()) << u;
    EXPECT_EQ(d.delay, core::Duration::zero()) << u;
  }
}

TEST(RouteFault, HundredPercentAlwaysHappens) {
  for (const double u : {0.0, 0.5, kJustBelowOne}) {
    const FaultDecision d = decide_fault(fault(100, 100), u, u);
    EXPECT_EQ(d.abort_status, 429) << u;
    EXPECT_EQ(d.delay, 100ms) << u;
    EXPECT_TRUE(d.any());
  }
}

TEST(RouteFault, ExactBoundaryIsExclusive) {
  // 12.5%: u in [0, 0.125) aborts; 0.125 itself does not.
  EXPECT_TRUE(decide_fault(fault(12.5, 0), std::nextafter(0.125, 0.0), 0).abort_status.has_value());
  EXPECT_FALSE(decide_fault(fault(12.5, 0), 0.125, 0).abort_status.has_value());
  EXPECT_EQ(decide_fault(fault(0, 50), 0, std::nextafter(0.5, 0.0)).delay, 100ms);
  EXPECT_EQ(decide_fault(fault(0, 50), 0, 0.5).delay, core::Duration::zero());
}

TEST(RouteFault, AbortAndDelayAreDrawnIndependently) {
  const config::FaultConfig f = fault(50, 50);
  const FaultDecision abort_only = decide_fault(f, 0.1, 0.9);
  EXPECT_EQ(abort_only.abort_status, 429);
  EXPECT_EQ(abort_only.delay, core::Duration::zero());
  const FaultDecision delay_only = decide_fault(f, 0.9, 0.1);
  EXPECT_FALSE(delay_only.abort_status.has_value());
  EXPECT_EQ(delay_only.delay, 100ms);
  const FaultDecision both = decide_fault(f, 0.1, 0.1);
  EXPECT_EQ(both.abort_status, 429);
  EXPECT_EQ(both.delay, 100ms);
}

TEST(RouteFault, AbortCarriesTheConfiguredStatus) {
  config::FaultConfig f = fault(100, 0);
  f.abort_status = 503;
  EXPECT_EQ(decide_fault(f, 0.3, 0.3).abort_status, 503);
}

TEST(RouteFault, ZeroDelayIsNoDelayEvenAtHundredPercent) {
  const FaultDecision d = decide_fault(fault(0, 100, core::Duration::zero()), 0, 0);
  EXPECT_EQ(d.delay, core::Duration::zero());
  EXPECT_FALSE(d.any());
}

TEST(RouteFault, MirrorPercentBoundaries) {
  EXPECT_TRUE(should_mirror({"shadow", 100.0}, 0.0));
  EXPECT_TRUE(should_mirror({"shadow", 100.0}, kJustBelowOne));
  EXPECT_FALSE(should_mirror({"shadow", 0.0}, 0.0));
  EXPECT_TRUE(should_mirror({"shadow", 25.0}, std::nextafter(0.25, 0.0)));
  EXPECT_FALSE(should_mirror({"shadow", 25.0}, 0.25));
  EXPECT_FALSE(should_mirror({"shadow", 25.0}, 0.9));
}

TEST(RouteFault, MirrorDefaultIsEveryRequest) {
  const config::MirrorConfig m{.model = "shadow"};
  EXPECT_TRUE(should_mirror(m, kJustBelowOne));
}

}  // namespace
}  // namespace sluice::route
