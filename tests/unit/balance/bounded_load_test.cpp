#include "sluice/balance/bounded_load.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "sluice/balance/stable_hash.h"

#include "test_instances.h"

namespace sluice::balance {
namespace {

struct Pool {
  std::vector<std::shared_ptr<Instance>> instances;
  MaglevTable table;
  HashRing ring;
};

Pool make_pool(std::size_t n) {
  std::vector<std::shared_ptr<Instance>> instances = testing::make_instances(n, "m");
  MaglevTable table = MaglevTable::for_instances(instances);
  HashRing ring = HashRing::for_instances(instances);
  return Pool{std::move(instances), std::move(table), std::move(ring)};
}

std::int64_t total_load(const Pool& pool) {
  std::int64_t total = 0;
  for (const auto& i : pool.instances) total += i->outstanding.load();
  return total;
}

std::int64_t max_load(const Pool& pool) {
  std::int64_t most = 0;
  for (const auto& i : pool.instances) most = std::max(most, i->outstanding.load());
  return most;
}

const std::uint64_t kHot = stable_hash("tenant-with-one-hot-user");

TEST(BalanceBoundedLoad, BoundCountsTheRequestBeingPlaced) {
  EXPECT_EQ(load_bound(0, 10), 1);    // idle pool: 1.25 × 1 / 10 → 1, not 0
  EXPECT_EQ(load_bound(7, 10), 1);    // 1.25 × 8 / 10 = 1 exactly
  EXPECT_EQ(load_bound(8, 10), 2);    // 1.125 → 2
  EXPECT_EQ(load_bound(21, 10), 3);   // 2.75 → 3
  EXPECT_EQ(load_bound(99, 10), 13);  // 12.5 → 13
  EXPECT_EQ(load_bound(9, 10, 1.0), 1);
  EXPECT_EQ(load_bound(9, 10, 0.5), 1);  // c below 1 acts as 1
  EXPECT_EQ(load_bound(5, 0), 0);
}

TEST(BalanceBoundedLoad, KeyGoesHomeWhileHomeIsUnderTheBound) {
  auto pool = make_pool(10);
  const int home = pool.table.home(kHot);
  EXPECT_EQ(pick_bounded_load(pool.table, kHot, pool.instances, RoomLimits{}), home);
  // Everyone at 2, home too: total 20, bound ceil(1.25 × 21 / 10) = 3.
  for (auto& i : pool.instances) i->outstanding = 2;
  EXPECT_EQ(pick_bounded_load(pool.table, kHot, pool.instances, RoomLimits{}), home);
}

TEST(BalanceBoundedLoad, HotKeySpillsToTheNextCandidateAtTheBound) {
  auto pool = make_pool(10);
  const auto pref = pool.table.preference(kHot, 3);
  for (auto& i : pool.instances) i->outstanding = 2;
  // Home at 3, others at 2: total 21, bound ceil(1.25 × 22 / 10) = 3.
  pool.instances[pref[0]]->outstanding = 3;
  EXPECT_EQ(pick_bounded_load(pool.table, kHot, pool.instances, RoomLimits{}), static_cast<int>(pref[1]));
  // The second candidate at the bound too: total 22, bound 3: the third.
  pool.instances[pref[1]]->outstanding = 3;
  EXPECT_EQ(pick_bounded_load(pool.table, kHot, pool.instances, RoomLimits{}), static_cast<int>(pref[2]));
}

template <typename Walk>
void hot_key_never_exceeds_the_bound(const Walk& walk, Pool& pool) {
  const auto pref = walk.preference(kHot, 10);
  for (int r = 0; r < 1000; ++r) {
    const std::int64_t bound = load_bound(total_load(pool), pool.instances.size());
    const int i = pick_bounded_load(walk, kHot, pool.instances, RoomLimits{});
    ASSERT_GE(i, 0);
    auto& picked = *pool.instances[static_cast<std::size_t>(i)];
    ASSERT_LT(picked.outstanding.load(), bound);
    ++picked.outstanding;
    // ceil(c × average) after the pick.
    const std::int64_t total = total_load(pool);
    ASSERT_LE(max_load(pool), static_cast<std::int64_t>(std::ceil(1.25 * static_cast<double>(total) / 10.0)));
  }
  // The home carries its full share; requests finishing there go back home.
  EXPECT_EQ(pool.instances[pref[0]]->outstanding.load(), 125);
  for (auto& i : pool.instances) i->outstanding = 0;
  pool.instances[pref[1]]->outstanding = 5;
  EXPECT_EQ(pick_bounded_load(walk, kHot, pool.instances, RoomLimits{}), static_cast<int>(pref[0]));
}

TEST(BalanceBoundedLoad, OneHotKeyNeverOverloadsAnInstanceMaglev) {
  auto pool = make_pool(10);
  hot_key_never_exceeds_the_bound(pool.table, pool);
}

TEST(BalanceBoundedLoad, OneHotKeyNeverOverloadsAnInstanceRing) {
  auto pool = make_pool(10);
  hot_key_never_exceeds_the_bound(pool.ring, pool);
}

TEST(BalanceBoundedLoad, UnavailableInstancesAreSkippedAndLeaveTheAverage) {
  auto pool = make_pool(4);
  const auto pref = pool.table.preference(kHot, 4);
  pool.instances[pref[0]]->available = false;
  pool.instances[pref[0]]->outstanding = 100;  // not counted
  EXPECT_EQ(pick_bounded_load(pool.table, kHot, pool.instances, RoomLimits{}), static_cast<int>(pref[1]));
  for (auto& i : pool.instances) i->available = false;
  EXPECT_EQ(pick_bounded_load(pool.table, kHot, pool.instances, RoomLimits{}), -1);
}

TEST(BalanceBoundedLoad, RoomIsTheHardLimit) {
  auto pool = make_pool(3);
  const auto pref = pool.table.preference(kHot, 3);
  const RoomLimits room{.max_in_flight = 4};
  // Home is below the bound but full of engine load: the next candidate.
  pool.instances[pref[0]]->engine_limit = 0;
  EXPECT_EQ(pick_bounded_load(pool.table, kHot, pool.instances, room), static_cast<int>(pref[1]));
  // The only instance under the bound (total 5, bound 3) lacks room: the
  // least-loaded instance with room takes it, bound or not.
  pool.instances[pref[0]]->outstanding = 0;
  pool.instances[pref[1]]->outstanding = 3;
  pool.instances[pref[2]]->outstanding = 2;
  pool.instances[pref[2]]->engine_limit = 0;
  EXPECT_EQ(pick_bounded_load(pool.table, kHot, pool.instances, room), static_cast<int>(pref[1]));
  pool.instances[pref[1]]->outstanding = 4;  // full
  EXPECT_EQ(pick_bounded_load(pool.table, kHot, pool.instances, room), -1);
}

TEST(BalanceBoundedLoad, TableFromAnotherListPicksNothing) {
  auto pool = make_pool(3);
  auto other = make_pool(4);
  EXPECT_EQ(pick_bounded_load(other.table, kHot, pool.instances, RoomLimits{}), -1);
  EXPECT_EQ(pick_bounded_load(pool.table, kHot, {}, RoomLimits{}), -1);
}

}  // namespace
}  // namespace sluice::balance
