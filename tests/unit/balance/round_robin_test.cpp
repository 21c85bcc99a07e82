#include "sluice/balance/round_robin.h"

#include <gtest/gtest.h>

#include <vector>

#include "test_instances.h"

namespace sluice::balance {
namespace {

std::vector<std::shared_ptr<Instance>> make(std::size_t n) { return testing::make_instances(n); }

std::vector<int> picks(RoundRobin& rr, const std::vector<std::shared_ptr<Instance>>& v, const RoomLimits& room,
                       int count) {
  std::vector<int> out;
  for (int k = 0; k < count; ++k) out.push_back(rr.pick(v, room));
  return out;
}

TEST(BalanceRoundRobin, TakesInstancesInTurn) {
  auto v = make(3);
  RoundRobin rr;
  EXPECT_EQ(picks(rr, v, RoomLimits{}, 7), (std::vector<int>{0, 1, 2, 0, 1, 2, 0}));
}

TEST(BalanceRoundRobin, StartsAtTheGivenCursor) {
  auto v = make(3);
  RoundRobin rr(5);  // 5 % 3 = 2
  EXPECT_EQ(picks(rr, v, RoomLimits{}, 4), (std::vector<int>{2, 0, 1, 2}));
}

TEST(BalanceRoundRobin, SkipsUnavailableAndFullInstances) {
  auto v = make(4);
  v[1]->available = false;
  v[2]->outstanding = 2;
  const RoomLimits room{.max_in_flight = 2};
  RoundRobin rr;
  EXPECT_EQ(picks(rr, v, room, 5), (std::vector<int>{0, 3, 0, 3, 0}));
  // Instance 2 has room again: it takes its turn after 0.
  v[2]->outstanding = 0;
  EXPECT_EQ(picks(rr, v, room, 4), (std::vector<int>{2, 3, 0, 2}));
}

TEST(BalanceRoundRobin, NoneWithRoomLeavesTheCursorWhereItWas) {
  auto v = make(2);
  RoundRobin rr;
  EXPECT_EQ(rr.pick(v, RoomLimits{}), 0);
  v[0]->available = false;
  v[1]->available = false;
  EXPECT_EQ(rr.pick(v, RoomLimits{}), -1);
  EXPECT_EQ(rr.cursor(), 1u);
  EXPECT_EQ(rr.pick({}, RoomLimits{}), -1);
}

TEST(BalanceRoundRobin, ContinuesWhenTheInstanceCountChanges) {
  auto v = make(3);
  RoundRobin rr;
  EXPECT_EQ(picks(rr, v, RoomLimits{}, 2), (std::vector<int>{0, 1}));
  v.pop_back();
  EXPECT_EQ(picks(rr, v, RoomLimits{}, 3), (std::vector<int>{0, 1, 0}));
}

}  // namespace
}  // namespace sluice::balance
