#include "sluice/balance/room.h"

#include <gtest/gtest.h>

#include <limits>

namespace sluice::balance {
namespace {

std::shared_ptr<Instance> instance(std::int64_t outstanding, std::int64_t limit = std::numeric_limits<std::int64_t>::max()) {
  auto i = std::make_shared<Instance>();
  i->outstanding = outstanding;
  i->engine_limit = limit;
  return i;
}

constexpr RoomLimits kRoom{.max_in_flight = 8, .max_engine_waiting = 2, .max_kv_usage = 0.9};
constexpr auto kNone = std::numeric_limits<std::int64_t>::max();

TEST(BalanceRoom, EngineLimitFromWaitingLetsMaxEngineWaitingQueueInside) {
  // 10 in flight, 5 of them queued in the engine: it runs 5, so 5 + 2 may be in flight.
  EXPECT_EQ(engine_limit(10, 5, 0.5, kRoom), 7);
  EXPECT_EQ(engine_limit(10, 2, 0.5, kRoom), kNone);  // at the threshold: no limit
  EXPECT_EQ(engine_limit(10, std::nullopt, std::nullopt, kRoom), kNone);  // unknown: nothing imposed
}

TEST(BalanceRoom, EngineLimitFromKvHoldsAtWhatIsInFlight) {
  EXPECT_EQ(engine_limit(10, 0, 0.95, kRoom), 10);
  EXPECT_EQ(engine_limit(10, 5, 0.95, kRoom), 7);  // the tighter of the two
}

TEST(BalanceRoom, RoomComesBackWhenRequestsEndWithoutANewScrape) {
  auto i = instance(7, 7);
  EXPECT_FALSE(has_room(*i, kRoom));
  i->outstanding = 6;  // one ended
  EXPECT_TRUE(has_room(*i, kRoom));
  i->outstanding = 8;
  i->engine_limit = kNone;
  EXPECT_FALSE(has_room(*i, kRoom));  // max_in_flight
  i->outstanding = 0;
  i->available = false;
  EXPECT_FALSE(has_room(*i, kRoom));
}

TEST(BalanceRoom, PicksTheLessLoadedOfTwoWithRoomElseScansForOne) {
  std::vector<std::shared_ptr<Instance>> pool{instance(3), instance(1), instance(8), instance(8)};
  // r1 % 4 = 0, r2 % 3 = 0 → b = 1 (distinct): both have room, 1 is less loaded.
  EXPECT_EQ(pick_with_room(pool, kRoom, 0, 0), 1);
  // a = 2, b = 3: both full; the scan from (r1 / 4) % 4 = 0 finds instance 0.
  EXPECT_EQ(pick_with_room(pool, kRoom, 2, 2), 0);
  for (auto& i : pool) i->outstanding = 8;
  EXPECT_EQ(pick_with_room(pool, kRoom, 5, 7), -1);
}

}  // namespace
}  // namespace sluice::balance
