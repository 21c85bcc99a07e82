#include "sluice/engine/prefix_cache.h"

#include <gtest/gtest.h>

#include <string>

namespace sluice::engine {
namespace {

std::string blocks(std::string_view letters) {
  std::string out;
  for (const char c : letters) out.append(4, c);  // 4-byte blocks in these tests
  return out;
}

TEST(EnginePrefixCache, MatchesLeadingBlocksWithinOneSalt) {
  PrefixCache cache(100, 4);
  cache.insert("a", blocks("abcd"));
  EXPECT_EQ(cache.size(), 4);
  EXPECT_EQ(cache.match("a", blocks("abcd")), 4);
  EXPECT_EQ(cache.match("a", blocks("abxy")), 2);
  EXPECT_EQ(cache.match("a", blocks("ab") + "zz"), 2);  // partial block never matches
  EXPECT_EQ(cache.match("a", blocks("xbcd")), 0);      // chained: a different first block breaks the rest
}

TEST(EnginePrefixCache, DifferentSaltsNeverShare) {
  PrefixCache cache(100, 4);
  cache.insert("tenant-a", blocks("abcd"));
  EXPECT_EQ(cache.match("tenant-b", blocks("abcd")), 0);
  EXPECT_EQ(cache.match("", blocks("abcd")), 0);
  cache.insert("tenant-b", blocks("abcd"));
  EXPECT_EQ(cache.size(), 8);  // separate entries for the same text
  EXPECT_EQ(cache.match("tenant-b", blocks("abcd")), 4);
}

TEST(EnginePrefixCache, LeastRecentlyUsedIsEvicted) {
  PrefixCache cache(4, 4);
  cache.insert("s", blocks("ab"));
  cache.insert("s", blocks("cd"));
  EXPECT_EQ(cache.match("s", blocks("ab")), 2);  // ab now most recent
  cache.insert("s", blocks("ef"));                // evicts cd
  EXPECT_EQ(cache.size(), 4);
  EXPECT_EQ(cache.match("s", blocks("cd")), 0);
  EXPECT_EQ(cache.match("s", blocks("ab")), 2);
  EXPECT_EQ(cache.match("s", blocks("ef")), 2);
}

TEST(EnginePrefixCache, EvictingASaltsLastBlockForgetsTheSalt) {
  PrefixCache cache(2, 4);
  cache.insert("old", blocks("ab"));
  cache.insert("new", blocks("cd"));
  EXPECT_EQ(cache.match("old", blocks("ab")), 0);
  EXPECT_EQ(cache.match("new", blocks("cd")), 2);
  cache.insert("old", blocks("ab"));
  EXPECT_EQ(cache.match("old", blocks("ab")), 2);
  cache.clear();
  EXPECT_EQ(cache.size(), 0);
  EXPECT_EQ(cache.match("old", blocks("ab")), 0);
}

TEST(EnginePrefixCache, ZeroCapacityCachesNothing) {
  PrefixCache cache(0, 4);
  cache.insert("s", blocks("ab"));
  EXPECT_EQ(cache.size(), 0);
  EXPECT_EQ(cache.match("s", blocks("ab")), 0);
}

}  // namespace
}  // namespace sluice::engine
