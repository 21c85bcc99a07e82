// The `routes` section: every key read, defaults (and what a route takes
// from server.retry / server.timeouts), and one test per error rule pinning
// the exact `file:line:col: key: message`.
#include <gtest/gtest.h>

#include "config_test_util.h"

namespace sluice::config {
namespace {

using namespace std::chrono_literals;
using testing::errors_of;
using testing::render;
using testing::with_key;

// Lines 1-10; `routes:` is line 10, so the first route line is line 11.
constexpr const char* kHead = R"(tenants:
  - id: acme
    api_keys: [$KEY]
  - id: globex
    api_keys: ["sha256:0000000000000000000000000000000000000000000000000000000000000000"]
models:
  - {name: v1, source: sim, sim: {profile: instant}}
  - {name: v2, source: sim, sim: {profile: instant}}
  - {name: shadow, source: sim, sim: {profile: instant}}
routes:
)";

std::vector<std::string> route_errors(const std::string& routes) { return errors_of(kHead + routes); }

std::expected<Config, ConfigErrors> load(const std::string& text) { return load_config_text(with_key(text), "t.yaml"); }

TEST(ConfigRoutes, EveryKeyIsRead) {
  auto config = load(R"(server:
  timeouts: {total: 100s, stream_idle: 7s}
  retry: {retries: 3, backoff_max: 2s, retry_on: [reset]}
)" + std::string(kHead) + R"(  - name: canary
    match:
      model: chat
      headers:
        - {name: X-Env, exact: prod}
        - {name: x-team, prefix: ml-}
        - {name: X-User, regex: "u[0-9]+"}
      tenants: [acme, globex]
    split: [{model: v1, weight: 90}, {model: v2, weight: 10}, {model: shadow, weight: 0}]
    sticky: {header: X-Session-Id}
    upstream_model: org/name
    fault: {abort: {percent: 10, status: 429}, delay: {percent: 5.5, duration: 2s}}
    timeouts: {total: 30s, per_try: 5s, first_token: 10s}
    retry:
      retries: 1
      retry_on: [5xx, retriable_status_codes]
      retriable_status_codes: [429]
      backoff_base: 50ms
      budget_percent: 0
      min_retry_concurrency: 1
  - match: {model: chat-mirror}
    model: v1
    sticky: tenant
    mirror: {model: shadow, percent: 12.5}
  - match: {tenants: [globex]}
    model: v2
    sticky: user
)");
  ASSERT_TRUE(config) << render(config.error());
  ASSERT_EQ(config->routes.size(), 3u);
  const Route& r = config->routes[0];
  EXPECT_EQ(r.name, "canary");
  EXPECT_EQ(r.match.model, "chat");
  ASSERT_EQ(r.match.headers.size(), 3u);
  EXPECT_EQ(r.match.headers[0].name, "x-env");
  EXPECT_EQ(r.match.headers[0].kind, MatchKind::kExact);
  EXPECT_EQ(r.match.headers[0].value, "prod");
  EXPECT_EQ(r.match.headers[1].name, "x-team");
  EXPECT_EQ(r.match.headers[1].kind, MatchKind::kPrefix);
  EXPECT_EQ(r.match.headers[1].value, "ml-");
  EXPECT_EQ(r.match.headers[2].name, "x-user");
  EXPECT_EQ(r.match.headers[2].kind, MatchKind::kRegex);
  EXPECT_EQ(r.match.headers[2].value, "u[0-9]+");
  EXPECT_EQ(r.match.tenants, (std::vector<std::string>{"acme", "globex"}));
  ASSERT_EQ(r.split.size(), 3u);
  EXPECT_EQ(r.split[0].model, "v1");
  EXPECT_EQ(r.split[0].weight, 90u);
  EXPECT_EQ(r.split[1].model, "v2");
  EXPECT_EQ(r.split[1].weight, 10u);
  EXPECT_EQ(r.split[2].model, "shadow");
  EXPECT_EQ(r.split[2].weight, 0u);
  EXPECT_EQ(r.sticky.source, HashKeyConfig::Source::kHeader);
  EXPECT_EQ(r.sticky.header, "x-session-id");
  EXPECT_EQ(r.upstream_model, "org/name");
  EXPECT_FALSE(r.mirror);
  EXPECT_EQ(r.fault.abort_percent, 10.0);
  EXPECT_EQ(r.fault.abort_status, 429);
  EXPECT_EQ(r.fault.delay_percent, 5.5);
  EXPECT_EQ(r.fault.delay, 2s);
  ASSERT_TRUE(r.timeouts);
  EXPECT_EQ(r.timeouts->total, 30s);
  EXPECT_EQ(r.timeouts->per_try, 5s);
  EXPECT_EQ(r.timeouts->first_token, 10s);
  EXPECT_EQ(r.timeouts->stream_idle, 7s);  // from server.timeouts
  ASSERT_TRUE(r.retry);
  EXPECT_EQ(r.retry->retries, 1u);
  EXPECT_EQ(r.retry->retry_on, kRetry5xx | kRetryStatusCodes);
  EXPECT_EQ(r.retry->retriable_status_codes, std::vector<int>{429});
  EXPECT_EQ(r.retry->backoff_base, 50ms);
  EXPECT_EQ(r.retry->backoff_max, 2s);  // from server.retry
  EXPECT_EQ(r.retry->budget_percent, 0u);
  EXPECT_EQ(r.retry->min_retry_concurrency, 1u);

  const Route& plain = config->routes[1];
  EXPECT_EQ(plain.name, "routes[1]");
  EXPECT_EQ(plain.match.model, "chat-mirror");  // a virtual name: no model of that name exists
  EXPECT_TRUE(plain.match.headers.empty());
  EXPECT_TRUE(plain.match.tenants.empty());
  ASSERT_EQ(plain.split.size(), 1u);
  EXPECT_EQ(plain.split[0].model, "v1");
  EXPECT_EQ(plain.split[0].weight, 1u);
  EXPECT_EQ(plain.sticky.source, HashKeyConfig::Source::kTenant);
  ASSERT_TRUE(plain.mirror);
  EXPECT_EQ(plain.mirror->model, "shadow");
  EXPECT_EQ(plain.mirror->percent, 12.5);
  EXPECT_FALSE(plain.timeouts);
  EXPECT_FALSE(plain.retry);
  EXPECT_EQ(config->routes[2].sticky.source, HashKeyConfig::Source::kUser);
  EXPECT_FALSE(config->routes[2].match.model);
}

TEST(ConfigRoutes, DefaultsWhenAbsent) {
  auto config = load(std::string(kHead) + R"(  - match: {model: chat}
    split: [{model: v1}, {model: v2}]
    mirror: {model: shadow}
    fault: {}
  - model: v2
)");
  ASSERT_TRUE(config) << render(config.error());
  ASSERT_EQ(config->routes.size(), 2u);
  const Route& r = config->routes[0];
  EXPECT_EQ(r.name, "routes[0]");
  EXPECT_EQ(r.split[0].weight, 1u);
  EXPECT_EQ(r.split[1].weight, 1u);
  EXPECT_EQ(r.sticky.source, HashKeyConfig::Source::kNone);
  EXPECT_FALSE(r.upstream_model);
  ASSERT_TRUE(r.mirror);
  EXPECT_EQ(r.mirror->percent, 100.0);
  EXPECT_EQ(r.fault.abort_percent, 0.0);
  EXPECT_EQ(r.fault.abort_status, 503);
  EXPECT_EQ(r.fault.delay_percent, 0.0);
  EXPECT_EQ(r.fault.delay, 0s);
  EXPECT_FALSE(r.timeouts);
  EXPECT_FALSE(r.retry);
  // The last route has no match: it matches everything, and nothing follows it.
  const Route& all = config->routes[1];
  EXPECT_EQ(all.name, "routes[1]");
  EXPECT_FALSE(all.match.model);
  EXPECT_TRUE(all.match.headers.empty());
  EXPECT_TRUE(all.match.tenants.empty());
  ASSERT_EQ(all.split.size(), 1u);
  EXPECT_EQ(all.split[0].model, "v2");
}

TEST(ConfigRoutes, EmptyRetryAndTimeoutsTakeTheServersValues) {
  auto config = load(R"(server:
  upstream_timeout: 45s
  retry: {retries: 5, retriable_status_codes: [502]}
)" + std::string(kHead) + R"(  - model: v1
    retry: {}
    timeouts: {}
)");
  ASSERT_TRUE(config) << render(config.error());
  const Route& r = config->routes[0];
  ASSERT_TRUE(r.retry);
  EXPECT_EQ(r.retry->retries, 5u);
  EXPECT_EQ(r.retry->retriable_status_codes, std::vector<int>{502});
  EXPECT_EQ(r.retry->backoff_base, 25ms);
  ASSERT_TRUE(r.timeouts);
  EXPECT_EQ(r.timeouts->total, 45s);
  EXPECT_EQ(r.timeouts->per_try, 0s);
}

TEST(ConfigRoutes, AnEmptyRoutesListIsAllowed) {
  auto config = load(std::string(kHead) + "  []\n");
  ASSERT_TRUE(config) << render(config.error());
  EXPECT_TRUE(config->routes.empty());
}

// --- errors ---

TEST(ConfigRouteErrors, UnknownRouteKey) {
  EXPECT_EQ(route_errors("  - model: v1\n    stickey: tenant\n"),
            std::vector<std::string>{"t.yaml:12:5: routes[0].stickey: unknown key (did you mean \"sticky\"?)"});
}

TEST(ConfigRouteErrors, ModelOrSplitIsRequired) {
  EXPECT_EQ(route_errors("  - match: {model: chat}\n"),
            std::vector<std::string>{"t.yaml:11:5: routes[0].model: missing required key (give model or split)"});
}

TEST(ConfigRouteErrors, ModelAndSplitTogether) {
  EXPECT_EQ(route_errors("  - model: v1\n    split: [{model: v2}]\n"),
            std::vector<std::string>{"t.yaml:12:12: routes[0].split: not allowed together with model (give one)"});
}

TEST(ConfigRouteErrors, SplitWeights) {
  EXPECT_EQ(route_errors("  - split: [{model: v1, weight: 10001}, {model: v2, weight: -1}]\n"),
            (std::vector<std::string>{
                "t.yaml:11:33: routes[0].split[0].weight: expected an integer from 0 to 10000, got 10001",
                "t.yaml:11:61: routes[0].split[1].weight: expected an integer from 0 to 10000, got -1"}));
  EXPECT_EQ(route_errors("  - split: [{model: v1, weight: 0}, {model: v2, weight: 0}]\n"),
            std::vector<std::string>{
                "t.yaml:11:12: routes[0].split: the weights add up to 0; at least one must be positive"});
}

TEST(ConfigRouteErrors, SplitEntries) {
  EXPECT_EQ(route_errors("  - split: []\n"),
            std::vector<std::string>{"t.yaml:11:12: routes[0].split: expected at least one target"});
  EXPECT_EQ(route_errors("  - split: [{weight: 1}, v2, {model: v1}, {model: v1}]\n"),
            (std::vector<std::string>{
                "t.yaml:11:13: routes[0].split[0].model: missing required key",
                "t.yaml:11:26: routes[0].split[1]: expected a mapping, got \"v2\"",
                "t.yaml:11:51: routes[0].split[3].model: duplicate split target \"v1\"; also at "
                "routes[0].split[2].model (line 11, column 38)"}));
}

TEST(ConfigRouteErrors, UnknownTargetModels) {
  EXPECT_EQ(route_errors(R"(  - match: {model: a}
    model: v3
  - split: [{model: v1}, {model: nothing-like-it}]
    mirror: {model: shadwo}
)"),
            (std::vector<std::string>{
                "t.yaml:12:12: routes[0].model: unknown model \"v3\" (did you mean \"v1\"?)",
                "t.yaml:13:34: routes[1].split[1].model: unknown model \"nothing-like-it\"; configured models: v1, v2, "
                "shadow",
                "t.yaml:14:21: routes[1].mirror.model: unknown model \"shadwo\" (did you mean \"shadow\"?)"}));
}

TEST(ConfigRouteErrors, HeaderMatchNeedsExactlyOneKind) {
  EXPECT_EQ(route_errors(R"(  - match:
      headers:
        - {name: x-env}
        - {name: x-env, exact: prod, regex: "p.*"}
    model: v1
)"),
            (std::vector<std::string>{
                "t.yaml:13:11: routes[0].match.headers[0]: expected one of exact, prefix or regex",
                "t.yaml:14:45: routes[0].match.headers[1].regex: not allowed together with exact (give one of exact, "
                "prefix or regex)"}));
}

TEST(ConfigRouteErrors, HeaderMatchName) {
  EXPECT_EQ(route_errors(R"(  - match:
      headers: [{exact: prod}, {name: "x env", prefix: a}]
    model: v1
)"),
            (std::vector<std::string>{"t.yaml:12:17: routes[0].match.headers[0].name: missing required key",
                                      "t.yaml:12:39: routes[0].match.headers[1].name: expected an HTTP header name, "
                                      "got \"x env\""}));
}

TEST(ConfigRouteErrors, BadRegex) {
  const auto errors = route_errors(R"(  - match:
      headers: [{name: x-user, regex: "u[0-9"}]
    model: v1
)");
  ASSERT_EQ(errors.size(), 1u) << ::testing::PrintToString(errors);
  EXPECT_TRUE(errors[0].starts_with(
      "t.yaml:12:39: routes[0].match.headers[0].regex: invalid regular expression \"u[0-9\": "))
      << errors[0];
}

TEST(ConfigRouteErrors, RegexIsRe2Syntax) {
  // Routes match with RE2: lookaround and backreferences do not compile.
  const auto errors = route_errors(R"(  - match:
      headers: [{name: x-user, regex: "(?=u)u1"}]
    model: v1
)");
  ASSERT_EQ(errors.size(), 1u) << ::testing::PrintToString(errors);
  EXPECT_TRUE(errors[0].starts_with(
      "t.yaml:12:39: routes[0].match.headers[0].regex: invalid regular expression \"(?=u)u1\": "))
      << errors[0];
  EXPECT_TRUE(route_errors(R"(  - match:
      headers: [{name: x-user, regex: "(\\w|-)+"}]
    model: v1
)").empty());
}

TEST(ConfigRouteErrors, EmptyMatchLists) {
  EXPECT_EQ(route_errors(R"(  - match: {headers: [], tenants: []}
    model: v1
)"),
            (std::vector<std::string>{
                "t.yaml:11:22: routes[0].match.headers: expected at least one header match; leave out headers to "
                "match any",
                "t.yaml:11:35: routes[0].match.tenants: expected at least one tenant id; leave out tenants to match "
                "any"}));
}

TEST(ConfigRouteErrors, UnknownTenant) {
  EXPECT_EQ(route_errors(R"(  - match: {tenants: [acme, globx, initech]}
    model: v1
)"),
            (std::vector<std::string>{
                "t.yaml:11:29: routes[0].match.tenants[1]: unknown tenant \"globx\" (did you mean \"globex\"?)",
                "t.yaml:11:36: routes[0].match.tenants[2]: unknown tenant \"initech\"; configured tenants: acme, "
                "globex"}));
}

TEST(ConfigRouteErrors, DuplicateRouteNames) {
  // routes[0] has no name: its name is "routes[0]", which routes[3] takes again.
  EXPECT_EQ(route_errors(R"(  - match: {model: w}
    model: v1
  - name: a
    match: {model: x}
    model: v1
  - name: a
    match: {model: y}
    model: v2
  - name: routes[0]
    match: {model: z}
    model: v2
)"),
            (std::vector<std::string>{
                "t.yaml:16:11: routes[2].name: duplicate route name \"a\"; first used by routes[1].name (line 13, "
                "column 11)",
                "t.yaml:19:11: routes[3].name: duplicate route name \"routes[0]\"; first used by routes[0] (line 11, "
                "column 5)"}));
}

TEST(ConfigRouteErrors, UnreachableAfterACatchAll) {
  EXPECT_EQ(route_errors(R"(  - match: {model: chat}
    model: v1
  - name: everything
    model: v2
  - match: {model: other}
    model: v1
  - model: v2
)"),
            (std::vector<std::string>{"t.yaml:15:5: routes[2]: unreachable: routes[1] matches every request",
                                      "t.yaml:17:5: routes[3]: unreachable: routes[1] matches every request"}));
  EXPECT_EQ(route_errors(R"(  - match: {}
    model: v2
  - match: {model: chat}
    model: v1
)"),
            std::vector<std::string>{"t.yaml:13:5: routes[1]: unreachable: routes[0] matches every request"});
}

TEST(ConfigRouteErrors, StickyShape) {
  EXPECT_EQ(route_errors("  - model: v1\n    sticky: [tenant]\n"),
            std::vector<std::string>{
                "t.yaml:12:13: routes[0].sticky: expected tenant, user or {header: NAME}, got a list"});
}

TEST(ConfigRouteErrors, Mirror) {
  EXPECT_EQ(route_errors(R"(  - match: {model: a}
    split: [{model: v1}, {model: v2}]
    mirror: {model: v2, percent: 0}
  - model: v1
    mirror: {percent: 101}
)"),
            (std::vector<std::string>{
                "t.yaml:13:21: routes[0].mirror.model: must not be one of the split targets (\"v2\" already gets "
                "these requests)",
                "t.yaml:13:34: routes[0].mirror.percent: expected a percentage above 0, at most 100, got \"0\"",
                "t.yaml:15:13: routes[1].mirror.model: missing required key",
                "t.yaml:15:23: routes[1].mirror.percent: expected a percentage above 0, at most 100, got \"101\""}));
}

TEST(ConfigRouteErrors, Fault) {
  EXPECT_EQ(route_errors(R"(  - match: {model: a}
    model: v1
    fault:
      abort: {percent: 100.5, status: 302}
      delay: {percent: 5}
  - model: v2
    fault: {abort: {status: 500}, delay: {duration: 0s, percent: -1}}
)"),
            (std::vector<std::string>{
                "t.yaml:14:24: routes[0].fault.abort.percent: expected a percentage from 0 to 100, got \"100.5\"",
                "t.yaml:14:39: routes[0].fault.abort.status: expected an integer from 400 to 599, got 302",
                "t.yaml:15:14: routes[0].fault.delay.duration: missing required key",
                "t.yaml:17:20: routes[1].fault.abort.percent: missing required key",
                "t.yaml:17:53: routes[1].fault.delay.duration: expected a positive duration such as \"30s\", "
                "\"250ms\" or \"5m\", got \"0s\"",
                "t.yaml:17:66: routes[1].fault.delay.percent: expected a percentage from 0 to 100, got \"-1\""}));
}

TEST(ConfigRouteErrors, RouteRetryIsCheckedWithTheServersValues) {
  // backoff_max comes from server.retry (250ms by default).
  EXPECT_EQ(route_errors("  - model: v1\n    retry: {backoff_base: 1s, retries: 20}\n    timeouts: {total: never}\n"),
            (std::vector<std::string>{
                "t.yaml:12:27: routes[0].retry.backoff_base: backoff_max (250ms) must be at least backoff_base (1s)",
                "t.yaml:12:40: routes[0].retry.retries: expected an integer from 0 to 10, got 20",
                "t.yaml:13:23: routes[0].timeouts.total: expected a duration such as \"30s\", \"250ms\" or \"5m\", "
                "or 0 for none, got \"never\""}));
}

}  // namespace
}  // namespace sluice::config
