#include "sluice/balance/least_tokens.h"

#include <gtest/gtest.h>

#include <vector>

#include "test_instances.h"

namespace sluice::balance {
namespace {

std::vector<std::shared_ptr<Instance>> make(std::size_t n) { return testing::make_instances(n); }

TEST(BalanceLeastTokens, PicksTheLighterOfTwoDistinctSamples) {
  auto v = make(3);
  const std::vector<std::int64_t> tokens{5000, 100, 3000};
  // r1 % 3 = 0 (5000), r2 % 2 = 0 → bumped to 1 (100): picks 1.
  EXPECT_EQ(pick_least_tokens(v, tokens, RoomLimits{}, 0, 0), 1);
  // r1 % 3 = 2 (3000), r2 % 2 = 0 → 0 (5000): picks 2.
  EXPECT_EQ(pick_least_tokens(v, tokens, RoomLimits{}, 2, 0), 2);
  // r1 % 3 = 1 (100), r2 % 2 = 1 → bumped to 2 (3000): picks 1.
  EXPECT_EQ(pick_least_tokens(v, tokens, RoomLimits{}, 1, 1), 1);
}

TEST(BalanceLeastTokens, ComparesTokensNotRequests) {
  auto v = make(2);
  v[0]->outstanding = 1;  // one 30k-token prompt
  v[1]->outstanding = 6;  // six short chats
  const std::vector<std::int64_t> tokens{30000, 1200};
  for (std::uint64_t a = 0; a < 4; ++a)
    for (std::uint64_t b = 0; b < 4; ++b) EXPECT_EQ(pick_least_tokens(v, tokens, RoomLimits{}, a, b), 1);
}

TEST(BalanceLeastTokens, NeverPicksTheHeaviestOfThree) {
  auto v = make(3);
  const std::vector<std::int64_t> tokens{90000, 10, 20};
  for (std::uint64_t a = 0; a < 30; ++a)
    for (std::uint64_t b = 0; b < 30; ++b) EXPECT_NE(pick_least_tokens(v, tokens, RoomLimits{}, a, b), 0);
}

TEST(BalanceLeastTokens, SkipsInstancesWithoutRoom) {
  auto v = make(3);
  const std::vector<std::int64_t> tokens{0, 0, 9000};
  v[0]->available = false;
  v[1]->outstanding = 4;
  const RoomLimits room{.max_in_flight = 4};
  // Samples 0 and 1 both lack room: the scan finds 2.
  EXPECT_EQ(pick_least_tokens(v, tokens, room, 0, 0), 2);
  // Sample 1 lacks room, sample 2 has it.
  EXPECT_EQ(pick_least_tokens(v, tokens, room, 1, 1), 2);
  v[2]->available = false;
  EXPECT_EQ(pick_least_tokens(v, tokens, room, 0, 0), -1);
}

TEST(BalanceLeastTokens, EdgeCases) {
  EXPECT_EQ(pick_least_tokens({}, {}, RoomLimits{}, 1, 2), -1);
  auto one = make(1);
  const std::vector<std::int64_t> t1{7};
  EXPECT_EQ(pick_least_tokens(one, t1, RoomLimits{}, 9, 9), 0);
  auto two = make(2);
  EXPECT_EQ(pick_least_tokens(two, t1, RoomLimits{}, 0, 0), -1);  // sizes differ
}

}  // namespace
}  // namespace sluice::balance
