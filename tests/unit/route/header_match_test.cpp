#include "sluice/route/header_match.h"

#include <gtest/gtest.h>

#include <string>

namespace sluice::route {
namespace {

HeaderCondition regex(std::string pattern) {
  return HeaderCondition(config::HeaderMatch{"X-User", config::MatchKind::kRegex, std::move(pattern)});
}

TEST(RouteHeaderMatch, ALongHeaderAgainstAnAlternationRegexMatches) {
  // std::regex recursed once per character: a 12,000-byte header (the
  // limit is 16 KiB) against `(\w|-)+` overflowed the stack.
  const HeaderCondition c = regex(R"((\w|-)+)");
  ASSERT_TRUE(c.valid());
  const std::string value(12'000, 'a');
  EXPECT_TRUE(c.matches(value));
  EXPECT_TRUE(c.matches(std::string(16 * 1024, '-')));
  EXPECT_FALSE(c.matches(value + "!"));
}

TEST(RouteHeaderMatch, RegexMustMatchTheWholeValue) {
  const HeaderCondition c = regex("gpt-4");
  EXPECT_EQ(c.name(), "x-user");
  EXPECT_TRUE(c.matches("gpt-4"));
  EXPECT_FALSE(c.matches("gpt-4o"));
  EXPECT_FALSE(c.matches("my-gpt-4"));
  EXPECT_FALSE(c.matches(std::nullopt));
  const HeaderCondition u = regex("u[0-9]+");
  EXPECT_TRUE(u.matches("u42"));
  EXPECT_FALSE(u.matches("u"));
  EXPECT_FALSE(u.matches("xu42"));
  const HeaderCondition any = regex(".*");
  EXPECT_TRUE(any.matches(""));
}

TEST(RouteHeaderMatch, ABrokenRegexNeverMatches) {
  const HeaderCondition c = regex("u[0-9");
  EXPECT_FALSE(c.valid());
  EXPECT_FALSE(c.matches("u[0-9"));
  EXPECT_FALSE(c.matches("u1"));
}

TEST(RouteHeaderMatch, ExactAndPrefix) {
  const HeaderCondition exact(config::HeaderMatch{"x-env", config::MatchKind::kExact, "prod"});
  EXPECT_TRUE(exact.valid());
  EXPECT_TRUE(exact.matches("prod"));
  EXPECT_FALSE(exact.matches("production"));
  const HeaderCondition prefix(config::HeaderMatch{"x-env", config::MatchKind::kPrefix, ""});
  EXPECT_TRUE(prefix.matches(""));
  EXPECT_FALSE(prefix.matches(std::nullopt));
}

TEST(RouteHeaderMatch, CopiesShareTheCompiledRegex) {
  const HeaderCondition c = regex("a+");
  const HeaderCondition copy = c;  // NOLINT(performance-unnecessary-copy-initialization)
  EXPECT_TRUE(copy.matches("aaa"));
  EXPECT_TRUE(c.matches("a"));
}

}  // namespace
}  // namespace sluice::route
