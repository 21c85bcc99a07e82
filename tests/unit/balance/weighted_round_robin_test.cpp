#include "sluice/balance/weighted_round_robin.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "test_instances.h"

namespace sluice::balance {
namespace {

std::vector<std::shared_ptr<Instance>> make(std::size_t n) { return testing::make_instances(n); }

/// Picks as letters: instance 0 is 'a'; -1 is '-'.
std::string sequence(SmoothWeightedRoundRobin& wrr, const std::vector<std::shared_ptr<Instance>>& v,
                     const std::vector<std::uint32_t>& weights, int count, const RoomLimits& room = {}) {
  std::string out;
  for (int k = 0; k < count; ++k) {
    const int i = wrr.pick(v, weights, room);
    out.push_back(i < 0 ? '-' : static_cast<char>('a' + i));
  }
  return out;
}

TEST(BalanceSmoothWeightedRoundRobin, NginxSequenceForWeights511) {
  auto v = make(3);
  SmoothWeightedRoundRobin wrr;
  EXPECT_EQ(sequence(wrr, v, {5, 1, 1}, 14), "aabacaaaabacaa");
}

TEST(BalanceSmoothWeightedRoundRobin, EqualWeightsAreRoundRobin) {
  auto v = make(3);
  SmoothWeightedRoundRobin wrr;
  EXPECT_EQ(sequence(wrr, v, {2, 2, 2}, 6), "abcabc");
}

TEST(BalanceSmoothWeightedRoundRobin, EveryWindowOfTotalWeightMatchesTheWeights) {
  auto v = make(3);
  SmoothWeightedRoundRobin wrr;
  const std::string s = sequence(wrr, v, {3, 2, 1}, 60);
  for (std::size_t start = 0; start + 6 <= s.size(); start += 6) {
    const std::string window = s.substr(start, 6);
    EXPECT_EQ(std::count(window.begin(), window.end(), 'a'), 3) << window;
    EXPECT_EQ(std::count(window.begin(), window.end(), 'b'), 2) << window;
    EXPECT_EQ(std::count(window.begin(), window.end(), 'c'), 1) << window;
  }
}

TEST(BalanceSmoothWeightedRoundRobin, ZeroWeightAndNoRoomAreSkipped) {
  auto v = make(3);
  SmoothWeightedRoundRobin wrr;
  EXPECT_EQ(sequence(wrr, v, {1, 0, 1}, 4), "acac");
  v[2]->available = false;
  EXPECT_EQ(sequence(wrr, v, {1, 0, 1}, 3), "aaa");
  v[0]->available = false;
  EXPECT_EQ(sequence(wrr, v, {1, 0, 1}, 1), "-");
}

TEST(BalanceSmoothWeightedRoundRobin, MismatchedWeightsPickNothing) {
  auto v = make(3);
  SmoothWeightedRoundRobin wrr;
  EXPECT_EQ(sequence(wrr, v, {1, 1}, 1), "-");
}

TEST(BalanceSmoothWeightedRoundRobin, ResetStartsTheSequenceAgain) {
  auto v = make(3);
  SmoothWeightedRoundRobin wrr;
  EXPECT_EQ(sequence(wrr, v, {5, 1, 1}, 3), "aab");
  wrr.reset();
  EXPECT_EQ(sequence(wrr, v, {5, 1, 1}, 7), "aabacaa");
}

}  // namespace
}  // namespace sluice::balance
