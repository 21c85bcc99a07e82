#include "sluice/tenancy/token_bucket.h"

#include <gtest/gtest.h>

namespace sluice::tenancy {
namespace {

using namespace std::chrono_literals;

const core::TimePoint t0 = core::TimePoint{} + 1000s;

// Limits that are multiples of 60 refill at a whole number of tokens per
// second, so every value below is exact in binary floating point.

TEST(TenancyTokenBucket, StartsFull) {
  TokenBucket b(60, t0);
  EXPECT_EQ(b.limit(), 60);
  EXPECT_DOUBLE_EQ(b.available(t0), 60.0);
  EXPECT_EQ(b.time_until(60, t0), core::Duration::zero());
  EXPECT_EQ(b.time_until_full(t0), core::Duration::zero());
}

TEST(TenancyTokenBucket, RefillsAtLimitOverSixtyPerSecond) {
  TokenBucket b(600, t0);  // 10 per second
  ASSERT_TRUE(b.try_take(600, t0));
  EXPECT_DOUBLE_EQ(b.available(t0), 0.0);
  EXPECT_DOUBLE_EQ(b.available(t0 + 1s), 10.0);
  EXPECT_DOUBLE_EQ(b.available(t0 + 2500ms), 25.0);
  EXPECT_DOUBLE_EQ(b.available(t0 + 59s), 590.0);

  TokenBucket slow(6, t0);  // one every 10 seconds
  ASSERT_TRUE(slow.try_take(6, t0));
  EXPECT_DOUBLE_EQ(slow.available(t0 + 5s), 0.5);
  EXPECT_DOUBLE_EQ(slow.available(t0 + 10s), 1.0);
}

TEST(TenancyTokenBucket, NeverRefillsAboveTheLimit) {
  TokenBucket b(60, t0);
  ASSERT_TRUE(b.try_take(30, t0));
  EXPECT_DOUBLE_EQ(b.available(t0 + 30s), 60.0);
  EXPECT_DOUBLE_EQ(b.available(t0 + 1h), 60.0);
  // Idle for an hour banks nothing beyond the limit.
  EXPECT_TRUE(b.try_take(60, t0 + 1h));
  EXPECT_FALSE(b.try_take(1, t0 + 1h));
}

TEST(TenancyTokenBucket, ARefusedTakeLeavesTheTokens) {
  TokenBucket b(60, t0);
  ASSERT_TRUE(b.try_take(59.5, t0));
  EXPECT_FALSE(b.try_take(1, t0));
  EXPECT_DOUBLE_EQ(b.available(t0), 0.5);
  EXPECT_TRUE(b.try_take(0.5, t0));  // exactly what is there
  EXPECT_DOUBLE_EQ(b.available(t0), 0.0);
  EXPECT_FALSE(b.try_take(1, t0 + 999ms));
  EXPECT_DOUBLE_EQ(b.available(t0 + 999ms), 0.999);
  EXPECT_TRUE(b.try_take(1, t0 + 1s));
}

TEST(TenancyTokenBucket, TakeAnywayGoesBelowZeroAndDelaysTheNextTake) {
  TokenBucket b(60, t0);  // 1 per second
  b.take_anyway(90, t0);
  EXPECT_DOUBLE_EQ(b.available(t0), -30.0);
  // 31 tokens to refill before one is there: 31s. The wait is never short
  // (a retry at now + wait succeeds) and at most a nanosecond long.
  const core::Duration wait = b.time_until(1, t0);
  EXPECT_GE(wait, 31s);
  EXPECT_LE(wait, 31s + 1ns);
  EXPECT_FALSE(b.try_take(1, t0 + 30s));
  EXPECT_DOUBLE_EQ(b.available(t0 + 30s), 0.0);
  EXPECT_TRUE(b.try_take(1, t0 + wait));
}

TEST(TenancyTokenBucket, TimeUntilCountsFromWhatIsThere) {
  TokenBucket b(600, t0);  // 10 per second
  ASSERT_TRUE(b.try_take(550, t0));  // 50 left
  EXPECT_EQ(b.time_until(50, t0), core::Duration::zero());
  const core::Duration wait = b.time_until(100, t0);  // 50 more: 5s
  EXPECT_GE(wait, 5s);
  EXPECT_LE(wait, 5s + 1ns);
  const core::Duration full = b.time_until_full(t0);  // 550 more: 55s
  EXPECT_GE(full, 55s);
  EXPECT_LE(full, 55s + 1ns);
  // Asked again later: what is left of the wait.
  const core::Duration later = b.time_until(100, t0 + 2s);
  EXPECT_GE(later, 3s);
  EXPECT_LE(later, 3s + 1ns);
}

TEST(TenancyTokenBucket, GiveBackNeverAboveTheLimit) {
  TokenBucket b(600, t0);
  ASSERT_TRUE(b.try_take(300, t0));
  b.give_back(200, t0);
  EXPECT_DOUBLE_EQ(b.available(t0), 500.0);
  b.give_back(200, t0);
  EXPECT_DOUBLE_EQ(b.available(t0), 600.0);
  // From below zero, a give-back lands where the arithmetic says.
  b.take_anyway(700, t0);
  EXPECT_DOUBLE_EQ(b.available(t0), -100.0);
  b.give_back(50, t0 + 1s);  // -100 + 10 refilled + 50
  EXPECT_DOUBLE_EQ(b.available(t0 + 1s), -40.0);
}

TEST(TenancyTokenBucket, AnEarlierNowRefillsNothing) {
  TokenBucket b(60, t0);
  ASSERT_TRUE(b.try_take(60, t0 + 10s));  // 60 (full, capped) taken at 10s
  EXPECT_DOUBLE_EQ(b.available(t0 + 5s), 0.0);  // time does not run backwards
  EXPECT_DOUBLE_EQ(b.available(t0 + 11s), 1.0);
}

TEST(TenancyTokenBucket, SetLimitKeepsTheLevelAndRefillsAtTheNewRate) {
  TokenBucket b(60, t0);
  b.take_anyway(50, t0);  // 10 left
  b.set_limit(120, t0 + 1s);  // 11 there; now 2 per second up to 120
  EXPECT_EQ(b.limit(), 120);
  EXPECT_DOUBLE_EQ(b.available(t0 + 1s), 11.0);
  EXPECT_DOUBLE_EQ(b.available(t0 + 2s), 13.0);
  b.set_limit(6, t0 + 2s);  // never above the new limit
  EXPECT_DOUBLE_EQ(b.available(t0 + 2s), 6.0);
  b.take_anyway(6, t0 + 2s);
  EXPECT_DOUBLE_EQ(b.available(t0 + 12s), 1.0);  // 0.1 per second
}

}  // namespace
}  // namespace sluice::tenancy
