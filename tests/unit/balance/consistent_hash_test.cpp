/// Maglev tables and hash rings: the same key always maps to the same id,
/// removing one of ten instances moves about a tenth of the keys and keeps
/// the rest, and keys spread evenly.
#include <gtest/gtest.h>

#include <algorithm>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "sluice/balance/hash_ring.h"
#include "sluice/balance/maglev.h"
#include "sluice/balance/stable_hash.h"

namespace sluice::balance {
namespace {

std::vector<std::string> ids(std::size_t n) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < n; ++i) out.push_back("llama-3.1-8b-instruct/" + std::to_string(i));
  return out;
}

std::vector<std::string_view> views(const std::vector<std::string>& strings) {
  return {strings.begin(), strings.end()};
}

std::uint64_t key(std::size_t k) { return stable_hash("session-" + std::to_string(k)); }

/// The id each of `keys` keys maps to.
template <typename Table>
std::vector<std::string> owners(const std::vector<std::string>& list, std::size_t keys) {
  const auto v = views(list);
  const Table table(v);
  std::vector<std::string> out;
  out.reserve(keys);
  for (std::size_t k = 0; k < keys; ++k) {
    const int home = table.home(key(k));
    out.push_back(home < 0 ? "" : list[static_cast<std::size_t>(home)]);
  }
  return out;
}

template <typename Table>
class BalanceConsistentHash : public ::testing::Test {};
using Tables = ::testing::Types<MaglevTable, HashRing>;
TYPED_TEST_SUITE(BalanceConsistentHash, Tables);

TYPED_TEST(BalanceConsistentHash, RemovingOneOfTenKeepsTheOtherKeysInPlace) {
  constexpr std::size_t kKeys = 10000;
  const auto all = ids(10);
  auto fewer = all;
  const std::string removed = fewer[3];
  fewer.erase(fewer.begin() + 3);
  const auto before = owners<TypeParam>(all, kKeys);
  const auto after = owners<TypeParam>(fewer, kKeys);
  std::size_t moved = 0;
  std::size_t survivors = 0;       // keys whose instance was not removed
  std::size_t survivors_kept = 0;  // ... and that stayed on it
  for (std::size_t k = 0; k < kKeys; ++k) {
    EXPECT_NE(after[k], removed);
    if (before[k] != after[k]) ++moved;
    if (before[k] == removed) continue;
    ++survivors;
    if (before[k] == after[k]) ++survivors_kept;
  }
  // The removed instance's tenth must move; of the rest, at least 95% stay.
  EXPECT_GE(static_cast<double>(survivors_kept), 0.95 * static_cast<double>(survivors));
  std::cout << "[ keys ] " << ::testing::UnitTest::GetInstance()->current_test_info()->type_param()
            << ": removing 1 of 10 instances kept "
            << 100.0 * static_cast<double>(survivors_kept) / static_cast<double>(survivors)
            << "% of the other keys in place; " << moved << " of " << kKeys << " keys moved\n";
  EXPECT_GE(moved, kKeys * 8 / 100);
  EXPECT_LE(moved, kKeys * 13 / 100);
}

TYPED_TEST(BalanceConsistentHash, AddingAnEleventhMovesAboutAnEleventh) {
  constexpr std::size_t kKeys = 10000;
  const auto before = owners<TypeParam>(ids(10), kKeys);
  const auto after = owners<TypeParam>(ids(11), kKeys);
  const std::string added = ids(11).back();
  std::size_t moved = 0;
  std::size_t to_new = 0;
  for (std::size_t k = 0; k < kKeys; ++k) {
    if (before[k] == after[k]) continue;
    ++moved;
    if (after[k] == added) ++to_new;
  }
  // Moved keys go to the new instance (the ring: all; Maglev: nearly all).
  EXPECT_GE(static_cast<double>(to_new), 0.9 * static_cast<double>(moved));
  EXPECT_GE(moved, kKeys * 7 / 100);
  EXPECT_LE(moved, kKeys * 13 / 100);
}

TYPED_TEST(BalanceConsistentHash, SpreadsKeysWithinTwentyPercentOfEven) {
  constexpr std::size_t kKeys = 100000;
  const auto list = ids(10);
  std::map<std::string, std::size_t> count;
  for (const auto& owner : owners<TypeParam>(list, kKeys)) ++count[owner];
  ASSERT_EQ(count.size(), 10u);
  for (const auto& [id, n] : count) {
    EXPECT_GE(n, kKeys / 10 * 80 / 100) << id;
    EXPECT_LE(n, kKeys / 10 * 120 / 100) << id;
  }
}

TYPED_TEST(BalanceConsistentHash, DependsOnTheSetOfIdsNotTheirOrder) {
  const auto list = ids(10);
  auto reversed = list;
  std::reverse(reversed.begin(), reversed.end());
  EXPECT_EQ(owners<TypeParam>(list, 2000), owners<TypeParam>(reversed, 2000));
}

TYPED_TEST(BalanceConsistentHash, PreferenceStartsAtHomeAndListsDistinctInstances) {
  const auto list = ids(10);
  const auto v = views(list);
  const TypeParam table(v);
  for (std::size_t k = 0; k < 100; ++k) {
    const auto pref = table.preference(key(k), 10);
    ASSERT_EQ(pref.size(), 10u);
    EXPECT_EQ(static_cast<int>(pref[0]), table.home(key(k)));
    auto sorted = pref;
    std::sort(sorted.begin(), sorted.end());
    EXPECT_EQ(std::unique(sorted.begin(), sorted.end()), sorted.end());
  }
}

TYPED_TEST(BalanceConsistentHash, EmptyAndSingle) {
  const TypeParam empty(std::span<const std::string_view>{});
  EXPECT_EQ(empty.home(key(1)), -1);
  EXPECT_TRUE(empty.preference(key(1), 3).empty());
  const auto one = ids(1);
  const auto v = views(one);
  const TypeParam single(v);
  for (std::size_t k = 0; k < 100; ++k) EXPECT_EQ(single.home(key(k)), 0);
}

TEST(BalanceMaglev, TableSizeIsPrime) {
  const auto list = ids(3);
  const auto v = views(list);
  EXPECT_EQ(MaglevTable(v).size(), 65537u);
  EXPECT_EQ(MaglevTable(v, 100).size(), 101u);
  EXPECT_EQ(MaglevTable(v, 1).size(), 3u);  // at least one slot per instance
}

TEST(BalanceMaglev, SlotsAreSharedAlmostEvenly) {
  const auto list = ids(10);
  const auto v = views(list);
  const MaglevTable table(v);
  std::vector<std::size_t> slots(10);
  for (std::size_t s = 0; s < table.size(); ++s) ++slots[table.walk_entry(s)];
  for (const std::size_t n : slots) {
    EXPECT_GE(n, 6553u);
    EXPECT_LE(n, 6554u);
  }
}

TEST(BalanceMaglev, ForInstancesUsesTheirIds) {
  const auto list = ids(4);
  std::vector<std::shared_ptr<Instance>> instances;
  for (const auto& id : list) {
    auto i = std::make_shared<Instance>();
    i->id = core::InstanceId(id);
    instances.push_back(i);
  }
  const auto v = views(list);
  const MaglevTable by_ids(v);
  const MaglevTable by_instances = MaglevTable::for_instances(instances);
  const HashRing ring_ids(v);
  const HashRing ring_instances = HashRing::for_instances(instances);
  for (std::size_t k = 0; k < 500; ++k) {
    EXPECT_EQ(by_ids.home(key(k)), by_instances.home(key(k)));
    EXPECT_EQ(ring_ids.home(key(k)), ring_instances.home(key(k)));
  }
}

}  // namespace
}  // namespace sluice::balance
