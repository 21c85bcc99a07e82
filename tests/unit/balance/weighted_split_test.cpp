#include "sluice/balance/weighted_split.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "sluice/balance/stable_hash.h"

namespace sluice::balance {
namespace {

const std::vector<std::uint32_t> k9010{90, 10};

TEST(BalanceWeightedSplit, NinetyTenWithinThreePercentOverTenThousand) {
  const WeightedSplit split(k9010);
  std::mt19937_64 rng(20240601);
  constexpr int kDraws = 10000;
  int first = 0;
  for (int d = 0; d < kDraws; ++d) {
    const int t = split.pick(rng());
    ASSERT_TRUE(t == 0 || t == 1);
    if (t == 0) ++first;
  }
  EXPECT_NEAR(static_cast<double>(first) / kDraws, 0.90, 0.03);
}

TEST(BalanceWeightedSplit, StickyKeysAlwaysMapToTheSameSide) {
  const WeightedSplit split(k9010);
  const WeightedSplit again(k9010);
  int first = 0;
  constexpr int kKeys = 10000;
  for (int k = 0; k < kKeys; ++k) {
    const std::uint64_t key = stable_hash("user-" + std::to_string(k));
    const int t = split.pick_sticky(key);
    for (int r = 0; r < 3; ++r) EXPECT_EQ(split.pick_sticky(key), t);
    EXPECT_EQ(again.pick_sticky(key), t);
    if (t == 0) ++first;
  }
  EXPECT_NEAR(static_cast<double>(first) / kKeys, 0.90, 0.03);
  // Raw sequential ids spread too (the hash is mixed once more).
  int raw_first = 0;
  for (std::uint64_t k = 0; k < kKeys; ++k) raw_first += split.pick_sticky(k) == 0;
  EXPECT_NEAR(static_cast<double>(raw_first) / kKeys, 0.90, 0.03);
}

TEST(BalanceWeightedSplit, GrowingTheCanaryOnlyMovesKeysToIt) {
  const WeightedSplit before(k9010);
  const std::vector<std::uint32_t> w8020{80, 20};
  const WeightedSplit after(w8020);
  int moved = 0;
  for (int k = 0; k < 10000; ++k) {
    const std::uint64_t key = stable_hash("user-" + std::to_string(k));
    const int b = before.pick_sticky(key);
    const int a = after.pick_sticky(key);
    if (b == 1) {
      EXPECT_EQ(a, 1);  // canary users stay on the canary
    }
    if (b != a) ++moved;
  }
  EXPECT_NEAR(moved / 10000.0, 0.10, 0.02);
}

TEST(BalanceWeightedSplit, StretchesFollowTheWeightsInOrder) {
  const std::vector<std::uint32_t> w{90, 0, 10};
  const WeightedSplit split(w);
  EXPECT_EQ(split.total(), 100u);
  EXPECT_EQ(split.pick_unit(0.0), 0);
  EXPECT_EQ(split.pick_unit(0.8999), 0);
  EXPECT_EQ(split.pick_unit(0.9), 2);  // the zero weight owns nothing
  EXPECT_EQ(split.pick_unit(0.99999), 2);
  EXPECT_EQ(split.pick_unit(1.0), 2);  // clamped: the last non-zero weight
  EXPECT_EQ(split.pick(0), 0);
  EXPECT_EQ(split.pick(~std::uint64_t{0}), 2);
}

TEST(BalanceWeightedSplit, NoWeightPicksNothing) {
  const std::vector<std::uint32_t> zeros{0, 0};
  EXPECT_EQ(WeightedSplit(zeros).pick(123), -1);
  EXPECT_EQ(WeightedSplit(std::span<const std::uint32_t>{}).pick_sticky(5), -1);
  const std::vector<std::uint32_t> last_zero{3, 0};
  EXPECT_EQ(WeightedSplit(last_zero).pick_unit(1.0), 0);
}

}  // namespace
}  // namespace sluice::balance
