// The instance lifecycle: every pair of states against the legal table,
// refused transitions leave the state alone, and every transition is
// recorded with its time and reason.
#include "sluice/fleet/lifecycle.h"

#include <gtest/gtest.h>

#include <set>
#include <utility>

namespace sluice::fleet {
namespace {

using namespace std::chrono_literals;
using S = InstanceState;

core::TimePoint at(std::chrono::milliseconds ms) { return core::TimePoint{} + ms; }

TEST(FleetLifecycle, EveryPairOfStatesMatchesTheDocumentedTable) {
  const std::set<std::pair<S, S>> allowed = {
      {S::kCold, S::kStarting},  {S::kCold, S::kStopped},     {S::kStarting, S::kLoading},
      {S::kStarting, S::kStopped}, {S::kLoading, S::kHot},     {S::kLoading, S::kStopped},
      {S::kHot, S::kWarm},       {S::kHot, S::kDraining},     {S::kWarm, S::kHot},
      {S::kWarm, S::kStopped},   {S::kDraining, S::kWarm},    {S::kDraining, S::kStopped},
      {S::kDraining, S::kHot},
      {S::kCold, S::kFailed},    {S::kStarting, S::kFailed},  {S::kLoading, S::kFailed},
      {S::kHot, S::kFailed},     {S::kWarm, S::kFailed},      {S::kDraining, S::kFailed},
  };
  int legal_count = 0;
  for (std::size_t f = 0; f < kInstanceStates; ++f) {
    for (std::size_t t = 0; t < kInstanceStates; ++t) {
      const S from = static_cast<S>(f);
      const S to = static_cast<S>(t);
      EXPECT_EQ(legal(from, to), allowed.contains({from, to})) << to_string(from) << " → " << to_string(to);
      legal_count += legal(from, to) ? 1 : 0;
    }
  }
  EXPECT_EQ(legal_count, 19);
}

TEST(FleetLifecycle, StoppedAndFailedAreFinal) {
  for (S final_state : {S::kStopped, S::kFailed}) {
    EXPECT_TRUE(is_final(final_state));
    for (std::size_t t = 0; t < kInstanceStates; ++t) EXPECT_FALSE(legal(final_state, static_cast<S>(t)));
  }
  EXPECT_FALSE(is_final(S::kWarm));
}

TEST(FleetLifecycle, ColdStartToServingRecordsEachStepWithItsTime) {
  Lifecycle life(at(0ms));
  EXPECT_EQ(life.state(), S::kCold);
  EXPECT_EQ(life.temperature(), Temperature::kCold);
  ASSERT_TRUE(life.to(S::kStarting, at(10ms), "planned: standby"));
  ASSERT_TRUE(life.to(S::kLoading, at(900ms), "process up"));
  EXPECT_FALSE(life.serving());
  ASSERT_TRUE(life.to(S::kHot, at(31'000ms), "weights loaded"));
  EXPECT_TRUE(life.serving());
  EXPECT_EQ(life.temperature(), Temperature::kHot);
  EXPECT_EQ(life.since(), at(31'000ms));
  ASSERT_EQ(life.history().size(), 3u);
  EXPECT_EQ(life.history()[1].from, S::kStarting);
  EXPECT_EQ(life.history()[1].to, S::kLoading);
  EXPECT_EQ(life.history()[1].at, at(900ms));
  EXPECT_EQ(life.history()[1].reason, "process up");
  EXPECT_EQ(life.entered(S::kLoading), at(900ms));
  EXPECT_EQ(life.entered(S::kWarm), std::nullopt);
}

TEST(FleetLifecycle, IllegalTransitionIsRefusedAndChangesNothing) {
  Lifecycle life(at(0ms), S::kWarm);
  const auto refused = life.to(S::kLoading, at(5ms), "oops");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error(), "illegal transition warm → loading");
  EXPECT_EQ(life.state(), S::kWarm);
  EXPECT_EQ(life.since(), at(0ms));
  EXPECT_TRUE(life.history().empty());
}

TEST(FleetLifecycle, SleepGoesThroughADrainAndWakesBack) {
  Lifecycle life(at(0ms), S::kHot);
  ASSERT_TRUE(life.to(S::kDraining, at(1'000ms), "idle: sleep"));
  EXPECT_FALSE(life.serving());
  EXPECT_EQ(life.temperature(), Temperature::kHot);  // weights still on the GPU while draining
  ASSERT_TRUE(life.to(S::kWarm, at(1'200ms), "drained"));
  EXPECT_EQ(life.temperature(), Temperature::kWarm);
  ASSERT_TRUE(life.to(S::kHot, at(5'000ms), "demand: wake"));
  EXPECT_TRUE(life.serving());
  EXPECT_EQ(life.entered(S::kHot), at(5'000ms));
}

TEST(FleetLifecycle, FailedFromAnyLiveStateThenNothing) {
  for (S from : {S::kCold, S::kStarting, S::kLoading, S::kHot, S::kWarm, S::kDraining}) {
    Lifecycle life(at(0ms), from);
    ASSERT_TRUE(life.to(S::kFailed, at(1ms), "process exited")) << to_string(from);
    EXPECT_EQ(life.temperature(), Temperature::kNone);
    EXPECT_FALSE(life.to(S::kHot, at(2ms), "revive"));
    EXPECT_EQ(life.state(), S::kFailed);
  }
}

}  // namespace
}  // namespace sluice::fleet
