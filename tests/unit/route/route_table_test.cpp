#include "sluice/route/route_table.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "route_test_util.h"

namespace sluice::route {
namespace {

using config::MatchKind;
using testing::header;
using testing::Headers;
using testing::lookup;
using testing::make_route;

TEST(RouteTable, EmptyTableMatchesNothing) {
  const RouteTable table;
  EXPECT_TRUE(table.empty());
  EXPECT_EQ(table.match("m", no_headers, "t"), nullptr);
  EXPECT_FALSE(table.names_model("m"));
}

TEST(RouteTable, FirstMatchingRouteWinsInConfigOrder) {
  const std::vector<config::Route> routes = {
      make_route("other-model", {.model = "x"}),
      make_route("first", {.model = "m"}),
      make_route("second", {.model = "m"}),
  };
  const RouteTable table(routes);
  const CompiledRoute* r = table.match("m", no_headers, "t");
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->route.name, "first");
  EXPECT_EQ(r->index, 1u);
  const CompiledRoute* x = table.match("x", no_headers, "t");
  ASSERT_NE(x, nullptr);
  EXPECT_EQ(x->index, 0u);
}

TEST(RouteTable, NoRouteMatchesGivesNull) {
  const std::vector<config::Route> routes = {make_route("r", {.model = "m"})};
  const RouteTable table(routes);
  EXPECT_EQ(table.match("n", no_headers, "t"), nullptr);
}

TEST(RouteTable, ModelMustBeEqualNotAPrefix) {
  const std::vector<config::Route> routes = {make_route("r", {.model = "gpt"})};
  const RouteTable table(routes);
  EXPECT_NE(table.match("gpt", no_headers, "t"), nullptr);
  EXPECT_EQ(table.match("gpt-4", no_headers, "t"), nullptr);
  EXPECT_EQ(table.match("GPT", no_headers, "t"), nullptr);
}

TEST(RouteTable, EmptyMatchMatchesEveryRequestAndShadowsLaterRoutes) {
  const std::vector<config::Route> routes = {make_route("catch-all", {}), make_route("never", {.model = "m"})};
  const RouteTable table(routes);
  const Headers h = {{"x-anything", "1"}};
  for (const char* model : {"m", "other", ""}) {
    const CompiledRoute* r = table.match(model, lookup(h), "any-tenant");
    ASSERT_NE(r, nullptr) << model;
    EXPECT_EQ(r->route.name, "catch-all");
  }
}

TEST(RouteTable, HeaderExact) {
  const std::vector<config::Route> routes = {
      make_route("r", {.headers = {header("x-canary", MatchKind::kExact, "yes")}})};
  const RouteTable table(routes);
  EXPECT_NE(table.match("m", lookup({{"x-canary", "yes"}}), "t"), nullptr);
  EXPECT_EQ(table.match("m", lookup({{"x-canary", "yes-please"}}), "t"), nullptr);
  EXPECT_EQ(table.match("m", lookup({{"x-canary", "YES"}}), "t"), nullptr);
  EXPECT_EQ(table.match("m", lookup({{"x-canary", ""}}), "t"), nullptr);
  EXPECT_EQ(table.match("m", lookup({{"x-other", "yes"}}), "t"), nullptr);
}

TEST(RouteTable, HeaderPrefix) {
  const std::vector<config::Route> routes = {
      make_route("r", {.headers = {header("x-build", MatchKind::kPrefix, "beta")}})};
  const RouteTable table(routes);
  EXPECT_NE(table.match("m", lookup({{"x-build", "beta"}}), "t"), nullptr);
  EXPECT_NE(table.match("m", lookup({{"x-build", "beta-7"}}), "t"), nullptr);
  EXPECT_EQ(table.match("m", lookup({{"x-build", "bet"}}), "t"), nullptr);
  EXPECT_EQ(table.match("m", lookup({{"x-build", "alpha-beta"}}), "t"), nullptr);
  EXPECT_EQ(table.match("m", no_headers, "t"), nullptr);
}

TEST(RouteTable, EmptyPrefixMatchesAnyPresentValueButNotAbsence) {
  const std::vector<config::Route> routes = {make_route("r", {.headers = {header("x-h", MatchKind::kPrefix, "")}})};
  const RouteTable table(routes);
  EXPECT_NE(table.match("m", lookup({{"x-h", ""}}), "t"), nullptr);
  EXPECT_NE(table.match("m", lookup({{"x-h", "v"}}), "t"), nullptr);
  EXPECT_EQ(table.match("m", no_headers, "t"), nullptr);
}

TEST(RouteTable, HeaderRegexMatchesTheWholeValue) {
  const std::vector<config::Route> routes = {
      make_route("r", {.headers = {header("x-version", MatchKind::kRegex, "v[0-9]+")}})};
  const RouteTable table(routes);
  EXPECT_NE(table.match("m", lookup({{"x-version", "v12"}}), "t"), nullptr);
  EXPECT_EQ(table.match("m", lookup({{"x-version", "v12x"}}), "t"), nullptr);
  EXPECT_EQ(table.match("m", lookup({{"x-version", "xv12"}}), "t"), nullptr);
  EXPECT_EQ(table.match("m", lookup({{"x-version", "v"}}), "t"), nullptr);
  EXPECT_EQ(table.match("m", no_headers, "t"), nullptr);
}

TEST(RouteTable, EveryHeaderConditionMustHold) {
  const std::vector<config::Route> routes = {make_route(
      "r", {.headers = {header("x-a", MatchKind::kExact, "1"), header("x-b", MatchKind::kPrefix, "2")}})};
  const RouteTable table(routes);
  EXPECT_NE(table.match("m", lookup({{"x-a", "1"}, {"x-b", "22"}}), "t"), nullptr);
  EXPECT_EQ(table.match("m", lookup({{"x-a", "1"}}), "t"), nullptr);
  EXPECT_EQ(table.match("m", lookup({{"x-b", "22"}}), "t"), nullptr);
  EXPECT_EQ(table.match("m", lookup({{"x-a", "0"}, {"x-b", "22"}}), "t"), nullptr);
}

TEST(RouteTable, HeaderNamesAreAskedForInLowerCase) {
  const std::vector<config::Route> routes = {
      make_route("r", {.headers = {header("X-Canary", MatchKind::kExact, "yes")}})};
  const RouteTable table(routes);
  std::vector<std::string> asked;
  auto recording = [&asked](std::string_view name) -> std::optional<std::string_view> {
    asked.emplace_back(name);
    return name == "x-canary" ? std::optional<std::string_view>("yes") : std::nullopt;
  };
  EXPECT_NE(table.match("m", recording, "t"), nullptr);
  EXPECT_EQ(asked, std::vector<std::string>{"x-canary"});
}

TEST(RouteTable, TenantListLimitsTheRouteEmptyListAllowsAny) {
  const std::vector<config::Route> routes = {
      make_route("listed", {.model = "m", .tenants = {"acme", "globex"}}),
      make_route("anyone", {.model = "m"}),
  };
  const RouteTable table(routes);
  EXPECT_EQ(table.match("m", no_headers, "acme")->route.name, "listed");
  EXPECT_EQ(table.match("m", no_headers, "globex")->route.name, "listed");
  EXPECT_EQ(table.match("m", no_headers, "initech")->route.name, "anyone");
  EXPECT_EQ(table.match("m", no_headers, "")->route.name, "anyone");
  EXPECT_EQ(table.match("m", no_headers, "acm")->route.name, "anyone");
}

TEST(RouteTable, AllPartsTogether) {
  const std::vector<config::Route> routes = {make_route(
      "r", {.model = "m", .headers = {header("x-a", MatchKind::kExact, "1")}, .tenants = {"acme"}})};
  const RouteTable table(routes);
  const Headers ok = {{"x-a", "1"}};
  EXPECT_NE(table.match("m", lookup(ok), "acme"), nullptr);
  EXPECT_EQ(table.match("n", lookup(ok), "acme"), nullptr);
  EXPECT_EQ(table.match("m", no_headers, "acme"), nullptr);
  EXPECT_EQ(table.match("m", lookup(ok), "globex"), nullptr);
}

TEST(RouteTable, BrokenRegexNeverMatchesAndDoesNotThrow) {
  const std::vector<config::Route> routes = {
      make_route("broken", {.headers = {header("x-h", MatchKind::kRegex, "([a-z")}}),
      make_route("fallback", {}),
  };
  std::optional<RouteTable> table;
  ASSERT_NO_THROW(table.emplace(routes));
  EXPECT_FALSE(table->routes()[0].valid());
  EXPECT_TRUE(table->routes()[1].valid());
  for (const char* value : {"([a-z", "a", "", "(["}) {
    const CompiledRoute* r = table->match("m", lookup({{"x-h", value}}), "t");
    ASSERT_NE(r, nullptr);
    EXPECT_EQ(r->route.name, "fallback") << value;
  }
}

TEST(RouteTable, NamesModelOnlyForRoutesMatchingThatModel) {
  const std::vector<config::Route> routes = {
      make_route("catch-all-headers", {.headers = {header("x-h", MatchKind::kExact, "1")}}),
      make_route("virtual", {.model = "chat-default"}),
  };
  const RouteTable table(routes);
  EXPECT_TRUE(table.names_model("chat-default"));
  EXPECT_FALSE(table.names_model("chat"));
  EXPECT_FALSE(table.names_model("model-a"));  // a split target is not a route's match
  EXPECT_FALSE(table.names_model(""));
}

TEST(RouteTable, CompiledRouteCarriesTheSplitWeightsInOrder) {
  const std::vector<config::Route> routes = {
      make_route("r", {}, {{"stable", 90}, {"canary", 10}}),
      make_route("s", {.model = "x"}),
  };
  const RouteTable table(routes);
  ASSERT_EQ(table.size(), 2u);
  const CompiledRoute& r = table.routes()[0];
  EXPECT_EQ(r.index, 0u);
  EXPECT_EQ(table.routes()[1].index, 1u);
  EXPECT_EQ(r.split.size(), 2u);
  EXPECT_EQ(r.split.total(), 100u);
  EXPECT_EQ(r.split.pick_unit(0.89), 0);
  EXPECT_EQ(r.split.pick_unit(0.91), 1);
  EXPECT_EQ(r.route.split[1].model, "canary");
}

TEST(RouteTable, TableCopiesKeepWorking) {
  const std::vector<config::Route> routes = {
      make_route("r", {.headers = {header("x-v", MatchKind::kRegex, "a+")}})};
  const RouteTable original(routes);
  const RouteTable copy = original;  // NOLINT(performance-unnecessary-copy-initialization)
  EXPECT_NE(copy.match("m", lookup({{"x-v", "aaa"}}), "t"), nullptr);
  EXPECT_EQ(copy.match("m", lookup({{"x-v", "b"}}), "t"), nullptr);
  EXPECT_EQ(&copy.routes()[0], copy.match("m", lookup({{"x-v", "a"}}), "t"));
}

}  // namespace
}  // namespace sluice::route
