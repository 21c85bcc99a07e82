#include "sluice/balance/backup_tier.h"

#include <gtest/gtest.h>

#include <vector>

#include "sluice/balance/room.h"
#include "sluice/balance/round_robin.h"

#include "test_instances.h"

namespace sluice::balance {
namespace {

/// Three primaries, then two backups.
std::vector<std::shared_ptr<Instance>> make() { return testing::make_instances(5); }
constexpr std::size_t kPrimaries = 3;

int pick(const std::vector<std::shared_ptr<Instance>>& v, RoundRobin& rr, const RoomLimits& room = {}) {
  return pick_in_tier(active_tier(v, kPrimaries),
                      [&](std::span<const std::shared_ptr<Instance>> tier) { return rr.pick(tier, room); });
}

TEST(BalanceBackupTier, PrimariesServeWhileAnyIsAvailable) {
  auto v = make();
  RoundRobin rr;
  for (int k = 0; k < 6; ++k) EXPECT_LT(pick(v, rr), 3);
  v[0]->available = false;
  v[1]->available = false;
  for (int k = 0; k < 4; ++k) EXPECT_EQ(pick(v, rr), 2);
  EXPECT_EQ(active_tier(v, kPrimaries).tier, Tier::kPrimary);
}

TEST(BalanceBackupTier, BackupsServeOnlyWhenAllPrimariesAreUnavailable) {
  auto v = make();
  for (std::size_t i = 0; i < kPrimaries; ++i) v[i]->available = false;
  const TierView view = active_tier(v, kPrimaries);
  EXPECT_EQ(view.tier, Tier::kBackup);
  EXPECT_EQ(view.offset, 3u);
  EXPECT_EQ(view.instances.size(), 2u);
  RoundRobin rr;
  std::vector<int> got;
  for (int k = 0; k < 4; ++k) got.push_back(pick(v, rr));
  EXPECT_EQ(got, (std::vector<int>{3, 4, 3, 4}));
  // A primary comes back: traffic returns to it at once.
  v[1]->available = true;
  EXPECT_EQ(pick(v, rr), 1);
}

TEST(BalanceBackupTier, FullPrimariesWaitRatherThanSpill) {
  auto v = make();
  const RoomLimits room{.max_in_flight = 1};
  for (std::size_t i = 0; i < kPrimaries; ++i) v[i]->outstanding = 1;
  RoundRobin rr;
  EXPECT_EQ(pick(v, rr, room), -1);  // the request stays queued for a primary
  // With has_room as the rule, full primaries spill onto the backups.
  const TierView spill =
      active_tier(v, kPrimaries, [&](const Instance& i) { return has_room(i, room); });
  EXPECT_EQ(spill.tier, Tier::kBackup);
}

TEST(BalanceBackupTier, ListsWithOneTier) {
  auto v = make();
  EXPECT_EQ(active_tier(v, 5).tier, Tier::kPrimary);  // no backups
  EXPECT_EQ(active_tier(v, 9).instances.size(), 5u);  // count past the end
  for (auto& i : v) i->available = false;
  EXPECT_EQ(active_tier(v, 5).tier, Tier::kPrimary);  // nothing to fall back to
  EXPECT_EQ(active_tier(v, 0).tier, Tier::kBackup);   // no primaries
  EXPECT_EQ(active_tier(v, 0).instances.size(), 5u);
  RoundRobin rr;
  EXPECT_EQ(pick_in_tier(active_tier(v, 5), [&](auto tier) { return rr.pick(tier, RoomLimits{}); }), -1);
}

}  // namespace
}  // namespace sluice::balance
