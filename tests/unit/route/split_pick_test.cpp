#include "sluice/route/split_pick.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "route_test_util.h"
#include "sluice/balance/stable_hash.h"

namespace sluice::route {
namespace {

using testing::Headers;
using testing::lookup;
using testing::make_route;
using Source = config::HashKeyConfig::Source;

CompiledRoute split_route(std::uint32_t first, std::uint32_t second) {
  return CompiledRoute(make_route("r", {}, {{"stable", first}, {"canary", second}}), 0);
}

TEST(RouteSplit, NinetyTenOverTenThousandRandomDrawsIsWithinOnePercent) {
  const CompiledRoute route = split_route(90, 10);
  std::mt19937_64 rng(20240601);
  int canary = 0;
  constexpr int kDraws = 10'000;
  for (int i = 0; i < kDraws; ++i) {
    const std::size_t t = pick_target(route, std::nullopt, rng());
    ASSERT_LT(t, 2u);
    canary += t == 1 ? 1 : 0;
  }
  EXPECT_GE(canary, 900);
  EXPECT_LE(canary, 1100);
}

TEST(RouteSplit, SingleTargetIsAlwaysPicked) {
  const CompiledRoute route(make_route("r", {}), 0);
  std::mt19937_64 rng(1);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(pick_target(route, std::nullopt, rng()), 0u);
  EXPECT_EQ(pick_target(route, 12345u, 0), 0u);
}

TEST(RouteSplit, ZeroWeightTargetIsNeverPicked) {
  const CompiledRoute route = split_route(0, 5);
  std::mt19937_64 rng(2);
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(pick_target(route, std::nullopt, rng()), 1u);
}

TEST(RouteSplit, AllZeroWeightsFallBackToTheFirstTarget) {
  const CompiledRoute route = split_route(0, 0);
  EXPECT_EQ(pick_target(route, std::nullopt, 0xFFFF'FFFF'FFFF'FFFFull), 0u);
  EXPECT_EQ(pick_target(route, 7u, 0), 0u);
}

TEST(RouteSplit, StickyKeyStaysOnItsTargetWhateverTheRandomDraw) {
  const CompiledRoute route = split_route(50, 50);
  std::mt19937_64 rng(3);
  int on_canary = 0;
  for (int k = 0; k < 1000; ++k) {
    const auto key = balance::stable_hash("user-" + std::to_string(k));
    const std::size_t first = pick_target(route, key, rng());
    for (int i = 0; i < 5; ++i) ASSERT_EQ(pick_target(route, key, rng()), first) << k;
    on_canary += first == 1 ? 1 : 0;
  }
  // Keys spread over both targets (not all pinned to one).
  EXPECT_GT(on_canary, 400);
  EXPECT_LT(on_canary, 600);
}

TEST(RouteSplit, StickyPickIsTheSplitsStickyPick) {
  // The same key lands where balance::WeightedSplit::pick_sticky puts it,
  // so every component (and every gateway replica) agrees on a key's target.
  const CompiledRoute route = split_route(70, 30);
  for (int k = 0; k < 1000; ++k) {
    const auto key = balance::stable_hash("k" + std::to_string(k));
    ASSERT_EQ(pick_target(route, key, 0), static_cast<std::size_t>(route.split.pick_sticky(key))) << k;
  }
}

TEST(RouteSplit, GrowingTheCanaryMovesOnlyTheKeysInTheMovedStretch) {
  const CompiledRoute before = split_route(90, 10);
  const CompiledRoute after = split_route(80, 20);
  int moved_to_canary = 0;
  constexpr int kKeys = 10'000;
  for (int k = 0; k < kKeys; ++k) {
    const auto key = balance::stable_hash("session-" + std::to_string(k));
    const std::size_t was = pick_target(before, key, 0);
    const std::size_t now = pick_target(after, key, 0);
    if (was == 1) {
      ASSERT_EQ(now, 1u) << "a canary key went back to stable: " << k;
    }
    if (was == 0 && now == 1) ++moved_to_canary;
  }
  // The stretch [0.8, 0.9) changed hands: about 10% of the keys.
  EXPECT_GE(moved_to_canary, 900);
  EXPECT_LE(moved_to_canary, 1100);
}

TEST(RouteSplit, HashKeyNoneIsNullopt) {
  const Headers h = {{"x-session", "abc"}};
  EXPECT_EQ(hash_key({}, lookup(h), "acme", "user-1"), std::nullopt);
}

TEST(RouteSplit, HashKeyFromHeader) {
  const config::HashKeyConfig key{Source::kHeader, "x-session"};
  EXPECT_EQ(hash_key(key, lookup({{"x-session", "abc"}}), "acme", "u"), balance::stable_hash("abc"));
  EXPECT_NE(hash_key(key, lookup({{"x-session", "abd"}}), "acme", "u"), balance::stable_hash("abc"));
  EXPECT_EQ(hash_key(key, lookup({{"x-other", "abc"}}), "acme", "u"), std::nullopt);
  EXPECT_EQ(hash_key(key, lookup({{"x-session", ""}}), "acme", "u"), std::nullopt);
}

TEST(RouteSplit, HashKeyFromTenant) {
  const config::HashKeyConfig key{Source::kTenant, ""};
  EXPECT_EQ(hash_key(key, no_headers, "acme", "u"), balance::stable_hash("acme"));
  EXPECT_EQ(hash_key(key, no_headers, "", "u"), std::nullopt);
}

TEST(RouteSplit, HashKeyFromUserField) {
  const config::HashKeyConfig key{Source::kUser, ""};
  EXPECT_EQ(hash_key(key, no_headers, "acme", "user-7"), balance::stable_hash("user-7"));
  EXPECT_EQ(hash_key(key, no_headers, "acme", ""), std::nullopt);
}

}  // namespace
}  // namespace sluice::route
