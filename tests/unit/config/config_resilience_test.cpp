// server.retry and server.timeouts; per model: balance, health_check,
// outlier_detection, circuit_breaker, static endpoints as maps and
// sim.backup_instances. Every key read, the defaults, and one test per
// error rule pinning the exact `file:line:col: key: message`.
#include <gtest/gtest.h>

#include "config_test_util.h"

namespace sluice::config {
namespace {

using namespace std::chrono_literals;
using testing::errors_of;
using testing::render;
using testing::with_key;

// Fixtures below start with these lines (1-3), then `models:` on line 4.
constexpr const char* kTenants = R"(tenants:
  - id: acme
    api_keys: [$KEY]
)";

// A valid tail for server-only fixtures.
constexpr const char* kTail = R"(tenants:
  - id: acme
    api_keys: [$KEY]
models:
  - name: m1
    source: sim
    sim: {profile: instant}
)";

/// Errors of a single sim model `m1` with `lines` (indented 4) added: the
/// first added line is line 8.
std::vector<std::string> model_errors(const std::string& lines) {
  return errors_of(std::string(kTenants) + R"(models:
  - name: m1
    source: sim
    sim: {instances: 2, profile: instant}
)" + lines);
}

TEST(ConfigResilience, EveryKeyIsRead) {
  auto config = load_config_text(with_key(R"(server:
  timeouts: {total: 120s, per_try: 10s, first_token: 5s, stream_idle: 0}
  retry:
    retries: 4
    retry_on: [connect_failure, refused, reset, gateway_error, 5xx, retriable_status_codes]
    retriable_status_codes: [429, 503, 599]
    backoff_base: 10ms
    backoff_max: 1s
    budget_percent: 30
    min_retry_concurrency: 0
tenants:
  - id: acme
    api_keys: [$KEY]
models:
  - name: m1
    source: static
    static:
      endpoints:
        - http://10.0.0.5:8000
        - {url: "http://10.0.0.6:8000/", weight: 3, backup: true}
        - {url: http://10.0.0.7:8000, weight: 1000}
    balance: {policy: consistent_hash, hash_on: {header: X-Session-Id}, hash_table: ring, load_factor: 1.5}
    health_check: {enabled: false, path: /ready, interval: 10s, timeout: 500ms, unhealthy_threshold: 4,
                   healthy_threshold: 1, jitter_percent: 0}
    outlier_detection:
      enabled: false
      consecutive_5xx: 0
      consecutive_gateway_failure: 7
      interval: 20s
      base_ejection_time: 1m
      max_ejection_time: 1m
      max_ejection_percent: 100
      enforce_failure_percentage: false
      failure_percentage_threshold: 90
      failure_percentage_minimum_hosts: 0
      failure_percentage_request_volume: 100
      panic_threshold_percent: 0
      stall: 2s
    circuit_breaker: {max_connections: 10, max_in_flight: 8, max_pending: 1}
  - name: m2
    source: sim
    sim: {instances: 3, profile: instant, backup_instances: 2}
    balance: {policy: prefix_affinity, prefix_tokens: 64, hash_table: maglev, load_factor: 1}
  - name: m3
    source: sim
    sim: {profile: instant}
    balance: {policy: consistent_hash, hash_on: tenant}
  - name: m4
    source: sim
    sim: {profile: instant}
    balance: {policy: consistent_hash, hash_on: user}
)"),
                                 "t.yaml");
  ASSERT_TRUE(config) << render(config.error());
  const ServerConfig& s = config->server;
  EXPECT_EQ(s.timeouts.total, 120s);
  EXPECT_EQ(s.timeouts.per_try, 10s);
  EXPECT_EQ(s.timeouts.first_token, 5s);
  EXPECT_EQ(s.timeouts.stream_idle, 0s);
  EXPECT_EQ(s.retry.retries, 4u);
  EXPECT_EQ(s.retry.retry_on, kRetryConnectFailure | kRetryRefused | kRetryReset | kRetryGatewayError | kRetry5xx |
                                  kRetryStatusCodes);
  EXPECT_EQ(s.retry.retriable_status_codes, (std::vector<int>{429, 503, 599}));
  EXPECT_EQ(s.retry.backoff_base, 10ms);
  EXPECT_EQ(s.retry.backoff_max, 1s);
  EXPECT_EQ(s.retry.budget_percent, 30u);
  EXPECT_EQ(s.retry.min_retry_concurrency, 0u);

  const Model& m1 = config->models[0];
  ASSERT_EQ(m1.static_source.endpoints.size(), 3u);
  EXPECT_EQ(m1.static_source.endpoints[0].url, "http://10.0.0.5:8000");
  EXPECT_EQ(m1.static_source.endpoints[0].weight, 1u);
  EXPECT_FALSE(m1.static_source.endpoints[0].backup);
  EXPECT_EQ(m1.static_source.endpoints[1].url, "http://10.0.0.6:8000");
  EXPECT_EQ(m1.static_source.endpoints[1].weight, 3u);
  EXPECT_TRUE(m1.static_source.endpoints[1].backup);
  EXPECT_EQ(m1.static_source.endpoints[2].weight, 1000u);
  EXPECT_FALSE(m1.static_source.endpoints[2].backup);
  EXPECT_EQ(m1.balance.policy, BalancePolicy::kConsistentHash);
  EXPECT_EQ(m1.balance.hash_on.source, HashKeyConfig::Source::kHeader);
  EXPECT_EQ(m1.balance.hash_on.header, "x-session-id");
  EXPECT_EQ(m1.balance.hash_table, HashTableKind::kRing);
  EXPECT_EQ(m1.balance.load_factor, 1.5);
  const HealthCheckConfig& h = m1.health_check;
  EXPECT_FALSE(h.enabled);
  EXPECT_EQ(h.path, "/ready");
  EXPECT_EQ(h.interval, 10s);
  EXPECT_EQ(h.timeout, 500ms);
  EXPECT_EQ(h.unhealthy_threshold, 4u);
  EXPECT_EQ(h.healthy_threshold, 1u);
  EXPECT_EQ(h.jitter_percent, 0u);
  const OutlierDetectionConfig& o = m1.outlier_detection;
  EXPECT_FALSE(o.enabled);
  EXPECT_EQ(o.consecutive_5xx, 0u);
  EXPECT_EQ(o.consecutive_gateway_failure, 7u);
  EXPECT_EQ(o.interval, 20s);
  EXPECT_EQ(o.base_ejection_time, 60s);
  EXPECT_EQ(o.max_ejection_time, 60s);
  EXPECT_EQ(o.max_ejection_percent, 100u);
  EXPECT_FALSE(o.enforce_failure_percentage);
  EXPECT_EQ(o.failure_percentage_threshold, 90u);
  EXPECT_EQ(o.failure_percentage_minimum_hosts, 0u);
  EXPECT_EQ(o.failure_percentage_request_volume, 100u);
  EXPECT_EQ(o.panic_threshold_percent, 0u);
  EXPECT_EQ(o.stall, 2s);
  EXPECT_EQ(m1.circuit_breaker.max_connections, 10);
  EXPECT_EQ(m1.circuit_breaker.max_in_flight, 8);
  EXPECT_EQ(m1.circuit_breaker.max_pending, 1);

  const Model& m2 = config->models[1];
  EXPECT_EQ(m2.sim.instances, 3);
  EXPECT_EQ(m2.sim.backup_instances, 2);
  EXPECT_EQ(m2.balance.policy, BalancePolicy::kPrefixAffinity);
  EXPECT_EQ(m2.balance.prefix_tokens, 64);
  EXPECT_EQ(m2.balance.hash_table, HashTableKind::kMaglev);
  EXPECT_EQ(m2.balance.load_factor, 1.0);
  EXPECT_EQ(m2.balance.hash_on.source, HashKeyConfig::Source::kNone);
  EXPECT_EQ(config->models[2].balance.hash_on.source, HashKeyConfig::Source::kTenant);
  EXPECT_EQ(config->models[3].balance.hash_on.source, HashKeyConfig::Source::kUser);
}

TEST(ConfigResilience, EveryBalancePolicyIsKnown) {
  const std::pair<const char*, BalancePolicy> cases[] = {
      {"least_request", BalancePolicy::kLeastRequest},
      {"round_robin", BalancePolicy::kRoundRobin},
      {"weighted_round_robin", BalancePolicy::kWeightedRoundRobin},
      {"least_tokens", BalancePolicy::kLeastTokens},
      {"prefix_affinity", BalancePolicy::kPrefixAffinity},
  };
  for (const auto& [name, policy] : cases) {
    auto config = load_config_text(with_key(std::string(kTenants) + R"(models:
  - name: m1
    source: sim
    sim: {profile: instant}
    balance: {policy: )" + name + "}\n"),
                                   "t.yaml");
    ASSERT_TRUE(config) << name << "\n" << render(config.error());
    EXPECT_EQ(config->models[0].balance.policy, policy) << name;
    EXPECT_EQ(to_string(policy), name);
  }
}

TEST(ConfigResilience, DefaultsWhenAbsent) {
  auto config = load_config_text(with_key(std::string(kTenants) + R"(models:
  - name: m1
    source: static
    static: {endpoints: ["http://10.0.0.5:8000"]}
)"),
                                 "t.yaml");
  ASSERT_TRUE(config) << render(config.error());
  const ServerConfig& s = config->server;
  EXPECT_EQ(s.timeouts.total, 600s);
  EXPECT_EQ(s.timeouts.per_try, 0s);
  EXPECT_EQ(s.timeouts.first_token, 60s);
  EXPECT_EQ(s.timeouts.stream_idle, 30s);
  EXPECT_EQ(s.retry.retries, 2u);
  EXPECT_EQ(s.retry.retry_on, kRetryConnectFailure | kRetryRefused | kRetryReset | kRetryGatewayError | kRetry5xx);
  EXPECT_EQ(s.retry.retriable_status_codes, std::vector<int>{503});
  EXPECT_EQ(s.retry.backoff_base, 25ms);
  EXPECT_EQ(s.retry.backoff_max, 250ms);
  EXPECT_EQ(s.retry.budget_percent, 20u);
  EXPECT_EQ(s.retry.min_retry_concurrency, 3u);
  const Model& m = config->models[0];
  EXPECT_EQ(m.static_source.endpoints[0].weight, 1u);
  EXPECT_FALSE(m.static_source.endpoints[0].backup);
  EXPECT_EQ(m.sim.backup_instances, 0);
  EXPECT_EQ(m.balance.policy, BalancePolicy::kLeastRequest);
  EXPECT_EQ(m.balance.hash_on.source, HashKeyConfig::Source::kNone);
  EXPECT_EQ(m.balance.hash_table, HashTableKind::kMaglev);
  EXPECT_EQ(m.balance.load_factor, 1.25);
  EXPECT_EQ(m.balance.prefix_tokens, 256);
  EXPECT_TRUE(m.health_check.enabled);
  EXPECT_EQ(m.health_check.path, "/health");
  EXPECT_EQ(m.health_check.interval, 2s);
  EXPECT_EQ(m.health_check.timeout, 1500ms);
  EXPECT_EQ(m.health_check.unhealthy_threshold, 2u);
  EXPECT_EQ(m.health_check.healthy_threshold, 2u);
  EXPECT_EQ(m.health_check.jitter_percent, 10u);
  const OutlierDetectionConfig& o = m.outlier_detection;
  EXPECT_TRUE(o.enabled);
  EXPECT_EQ(o.consecutive_5xx, 5u);
  EXPECT_EQ(o.consecutive_gateway_failure, 3u);
  EXPECT_EQ(o.interval, 10s);
  EXPECT_EQ(o.base_ejection_time, 30s);
  EXPECT_EQ(o.max_ejection_time, 300s);
  EXPECT_EQ(o.max_ejection_percent, 50u);
  EXPECT_TRUE(o.enforce_failure_percentage);
  EXPECT_EQ(o.failure_percentage_threshold, 85u);
  EXPECT_EQ(o.failure_percentage_minimum_hosts, 3u);
  EXPECT_EQ(o.failure_percentage_request_volume, 20u);
  EXPECT_EQ(o.panic_threshold_percent, 50u);
  EXPECT_EQ(o.stall, 500ms);
  EXPECT_EQ(m.circuit_breaker.max_connections, 1024);
  EXPECT_EQ(m.circuit_breaker.max_in_flight, 1024);
  EXPECT_EQ(m.circuit_breaker.max_pending, 128);
  EXPECT_TRUE(config->routes.empty());
}

TEST(ConfigResilience, PartialMappingsKeepTheOtherDefaults) {
  auto config = load_config_text(with_key(R"(server:
  upstream_timeout: 30s
  timeouts: {per_try: 5s}
  retry: {retries: 0}
)" + std::string(kTenants) + R"(models:
  - name: m1
    source: sim
    sim: {profile: instant}
    health_check: {interval: 3s}
    outlier_detection: {base_ejection_time: 10s}
    circuit_breaker: {max_pending: 4}
)"),
                                 "t.yaml");
  ASSERT_TRUE(config) << render(config.error());
  EXPECT_EQ(config->server.timeouts.total, 30s);
  EXPECT_EQ(config->server.timeouts.per_try, 5s);
  EXPECT_EQ(config->server.retry.retries, 0u);
  EXPECT_EQ(config->server.retry.backoff_max, 250ms);
  const Model& m = config->models[0];
  EXPECT_EQ(m.health_check.interval, 3s);
  EXPECT_EQ(m.health_check.timeout, 1500ms);
  EXPECT_EQ(m.outlier_detection.base_ejection_time, 10s);
  EXPECT_EQ(m.outlier_detection.max_ejection_time, 300s);
  EXPECT_EQ(m.circuit_breaker.max_pending, 4);
  EXPECT_EQ(m.circuit_breaker.max_in_flight, 1024);
}

TEST(ConfigResilience, EmptyRetryOnMeansNoConditions) {
  auto config = load_config_text(with_key(R"(server:
  retry: {retry_on: [], retriable_status_codes: []}
)" + std::string(kTail)),
                                 "t.yaml");
  ASSERT_TRUE(config) << render(config.error());
  EXPECT_EQ(config->server.retry.retry_on, 0u);
  EXPECT_TRUE(config->server.retry.retriable_status_codes.empty());
}

// --- server.timeouts and server.retry ---

TEST(ConfigResilienceErrors, UpstreamTimeoutAndTimeoutsTotalConflict) {
  EXPECT_EQ(errors_of(R"(server:
  upstream_timeout: 60s
  timeouts:
    total: 30s
)" + std::string(kTail)),
            std::vector<std::string>{"t.yaml:4:12: server.timeouts.total: conflicts with server.upstream_timeout "
                                     "(line 2, column 21): upstream_timeout is the older name of timeouts.total; "
                                     "give one"});
}

TEST(ConfigResilienceErrors, TimeoutNotADuration) {
  EXPECT_EQ(errors_of(R"(server:
  timeouts: {per_try: soon, stream_idle: -1s}
)" + std::string(kTail)),
            (std::vector<std::string>{
                "t.yaml:2:23: server.timeouts.per_try: expected a duration such as \"30s\", \"250ms\" or \"5m\", or 0 "
                "for none, got \"soon\"",
                "t.yaml:2:42: server.timeouts.stream_idle: expected a duration such as \"30s\", \"250ms\" or \"5m\", "
                "or 0 for none, got \"-1s\""}));
}

TEST(ConfigResilienceErrors, RetriesOutOfRange) {
  EXPECT_EQ(errors_of(R"(server:
  retry: {retries: 11}
)" + std::string(kTail)),
            std::vector<std::string>{"t.yaml:2:20: server.retry.retries: expected an integer from 0 to 10, got 11"});
}

TEST(ConfigResilienceErrors, UnknownRetryOn) {
  EXPECT_EQ(errors_of(R"(server:
  retry:
    retry_on: [reset, gateway-error, timeout]
)" + std::string(kTail)),
            (std::vector<std::string>{
                "t.yaml:3:23: server.retry.retry_on[1]: expected one of connect_failure, refused, reset, "
                "gateway_error, 5xx, retriable_status_codes, got \"gateway-error\" (did you mean \"gateway_error\"?)",
                "t.yaml:3:38: server.retry.retry_on[2]: expected one of connect_failure, refused, reset, "
                "gateway_error, 5xx, retriable_status_codes, got \"timeout\""}));
}

TEST(ConfigResilienceErrors, RetriableStatusCodeOutOfRange) {
  EXPECT_EQ(errors_of(R"(server:
  retry:
    retriable_status_codes: [429, 399, 600]
)" + std::string(kTail)),
            (std::vector<std::string>{
                "t.yaml:3:35: server.retry.retriable_status_codes[1]: expected an integer from 400 to 599, got 399",
                "t.yaml:3:40: server.retry.retriable_status_codes[2]: expected an integer from 400 to 599, got 600"}));
}

TEST(ConfigResilienceErrors, BackoffBaseMustBePositive) {
  EXPECT_EQ(errors_of(R"(server:
  retry: {backoff_base: 0s}
)" + std::string(kTail)),
            std::vector<std::string>{"t.yaml:2:25: server.retry.backoff_base: expected a positive duration such as "
                                     "\"30s\", \"250ms\" or \"5m\", got \"0s\""});
}

TEST(ConfigResilienceErrors, BackoffMaxBelowBase) {
  EXPECT_EQ(errors_of(R"(server:
  retry: {backoff_base: 100ms, backoff_max: 50ms}
)" + std::string(kTail)),
            std::vector<std::string>{
                "t.yaml:2:45: server.retry.backoff_max: backoff_max (50ms) must be at least backoff_base (100ms)"});
  // Only the base given: checked against the default backoff_max, reported at the base.
  EXPECT_EQ(errors_of(R"(server:
  retry: {backoff_base: 1s}
)" + std::string(kTail)),
            std::vector<std::string>{
                "t.yaml:2:25: server.retry.backoff_base: backoff_max (250ms) must be at least backoff_base (1s)"});
}

TEST(ConfigResilienceErrors, RetryPercentAndUnknownKey) {
  EXPECT_EQ(errors_of(R"(server:
  retry: {budget_percent: 101, min_retry_concurency: 1}
)" + std::string(kTail)),
            (std::vector<std::string>{
                "t.yaml:2:27: server.retry.budget_percent: expected an integer from 0 to 100, got 101",
                "t.yaml:2:32: server.retry.min_retry_concurency: unknown key (did you mean "
                "\"min_retry_concurrency\"?)"}));
}

// --- static endpoints and sim backups ---

TEST(ConfigResilienceErrors, StaticEndpointMapForm) {
  EXPECT_EQ(errors_of(std::string(kTenants) + R"(models:
  - name: m1
    source: static
    static:
      endpoints:
        - {url: "http://a:1", weight: 0}
        - {url: "ftp://b:443", weight: 1001, backup: maybe}
        - {weight: 2}
        - {url: "http://a:1/", wieght: 2}
)"),
            (std::vector<std::string>{
                "t.yaml:9:39: models[0].static.endpoints[0].weight: expected an integer from 1 to 1000, got 0",
                "t.yaml:10:17: models[0].static.endpoints[1].url: expected an http://host:port[/prefix] or "
                "https://host[:port][/prefix] URL, got \"ftp://b:443\"",
                "t.yaml:10:40: models[0].static.endpoints[1].weight: expected an integer from 1 to 1000, got 1001",
                "t.yaml:10:54: models[0].static.endpoints[1].backup: expected true or false, got \"maybe\"",
                "t.yaml:11:11: models[0].static.endpoints[2].url: missing required key",
                "t.yaml:12:11: models[0].static.endpoints[3]: duplicate endpoint \"http://a:1\"; also at "
                "models[0].static.endpoints[0] (line 9, column 11)",
                "t.yaml:12:32: models[0].static.endpoints[3].wieght: unknown key (did you mean \"weight\"?)"}));
}

TEST(ConfigResilienceErrors, EveryStaticEndpointABackup) {
  EXPECT_EQ(errors_of(std::string(kTenants) + R"(models:
  - name: m1
    source: static
    static:
      endpoints: [{url: "http://a:1", backup: true}, {url: "http://b:1", backup: true}]
)"),
            std::vector<std::string>{"t.yaml:8:18: models[0].static.endpoints: every endpoint is a backup; at least "
                                     "one must be a primary (backup: false)"});
}

TEST(ConfigResilienceErrors, BackupInstancesMustLeaveAPrimary) {
  EXPECT_EQ(errors_of(std::string(kTenants) + R"(models:
  - name: m1
    source: sim
    sim: {instances: 2, profile: instant, backup_instances: 2}
  - name: m2
    source: sim
    sim: {profile: instant, backup_instances: -1}
)"),
            (std::vector<std::string>{
                "t.yaml:7:61: models[0].sim.backup_instances: must be less than instances (2): at least one instance "
                "must be a primary",
                "t.yaml:10:47: models[1].sim.backup_instances: expected a non-negative integer, got -1"}));
}

// --- balance ---

TEST(ConfigResilienceErrors, UnknownBalancePolicy) {
  EXPECT_EQ(model_errors("    balance: {policy: least_requests, prefix_tokens: 0}\n"),
            (std::vector<std::string>{
                "t.yaml:8:23: models[0].balance.policy: expected one of least_request, round_robin, "
                "weighted_round_robin, least_tokens, consistent_hash, prefix_affinity, got \"least_requests\" (did you "
                "mean \"least_request\"?)",
                "t.yaml:8:54: models[0].balance.prefix_tokens: expected a positive integer, got 0"}));
}

TEST(ConfigResilienceErrors, ConsistentHashNeedsHashOn) {
  EXPECT_EQ(model_errors("    balance:\n      policy: consistent_hash\n"),
            std::vector<std::string>{
                "t.yaml:9:7: models[0].balance.hash_on: missing required key (policy is consistent_hash)"});
}

TEST(ConfigResilienceErrors, HashOnOnlyWithConsistentHash) {
  EXPECT_EQ(model_errors("    balance: {policy: prefix_affinity, hash_on: tenant}\n"),
            std::vector<std::string>{
                "t.yaml:8:49: models[0].balance.hash_on: not allowed unless policy is consistent_hash"});
  // The default policy (least_request) takes no hash key either.
  EXPECT_EQ(model_errors("    balance: {hash_on: user}\n"),
            std::vector<std::string>{
                "t.yaml:8:24: models[0].balance.hash_on: not allowed unless policy is consistent_hash"});
}

TEST(ConfigResilienceErrors, BadHashOn) {
  EXPECT_EQ(model_errors("    balance: {policy: consistent_hash, hash_on: tenent}\n"),
            std::vector<std::string>{"t.yaml:8:49: models[0].balance.hash_on: expected tenant, user or {header: "
                                     "NAME}, got \"tenent\" (did you mean \"tenant\"?)"});
  EXPECT_EQ(model_errors("    balance: {policy: consistent_hash, hash_on: {header: \"x session\"}}\n"),
            std::vector<std::string>{
                "t.yaml:8:58: models[0].balance.hash_on.header: expected an HTTP header name, got \"x session\""});
  EXPECT_EQ(model_errors("    balance: {policy: consistent_hash, hash_on: {cookie: sid}}\n"),
            (std::vector<std::string>{
                "t.yaml:8:49: models[0].balance.hash_on.header: missing required key",
                "t.yaml:8:50: models[0].balance.hash_on.cookie: unknown key; expected one of: header"}));
}

TEST(ConfigResilienceErrors, HashTableAndLoadFactorOnlyWithHashing) {
  EXPECT_EQ(model_errors("    balance: {policy: round_robin, hash_table: ring, load_factor: 2}\n"),
            (std::vector<std::string>{
                "t.yaml:8:48: models[0].balance.hash_table: not allowed unless policy is consistent_hash or "
                "prefix_affinity",
                "t.yaml:8:67: models[0].balance.load_factor: not allowed unless policy is consistent_hash or "
                "prefix_affinity"}));
}

TEST(ConfigResilienceErrors, BadHashTableAndLoadFactor) {
  EXPECT_EQ(model_errors("    balance: {policy: prefix_affinity, hash_table: rendezvous, load_factor: 0.9}\n"),
            (std::vector<std::string>{
                "t.yaml:8:52: models[0].balance.hash_table: expected one of maglev, ring, got \"rendezvous\"",
                "t.yaml:8:77: models[0].balance.load_factor: expected a number of at least 1, got 0.9"}));
}

TEST(ConfigResilienceErrors, PrefixTokensOnlyWithPrefixAffinity) {
  EXPECT_EQ(model_errors("    balance: {policy: consistent_hash, hash_on: tenant, prefix_tokens: 64}\n"),
            std::vector<std::string>{
                "t.yaml:8:72: models[0].balance.prefix_tokens: not allowed unless policy is prefix_affinity"});
}

// --- health_check ---

TEST(ConfigResilienceErrors, HealthCheckPathNeedsSlash) {
  EXPECT_EQ(model_errors("    health_check: {path: health}\n"),
            std::vector<std::string>{
                "t.yaml:8:26: models[0].health_check.path: expected a path starting with \"/\", got \"health\""});
}

TEST(ConfigResilienceErrors, HealthCheckTimeoutMustBeShorterThanInterval) {
  EXPECT_EQ(model_errors("    health_check: {interval: 2s, timeout: 2s}\n"),
            std::vector<std::string>{
                "t.yaml:8:43: models[0].health_check.timeout: timeout (2s) must be shorter than interval (2s)"});
  // Only the interval given: against the default timeout (2s), reported at the interval.
  EXPECT_EQ(model_errors("    health_check: {interval: 1s}\n"),
            std::vector<std::string>{
                "t.yaml:8:30: models[0].health_check.interval: timeout (1.5s) must be shorter than interval (1s)"});
}

TEST(ConfigResilienceErrors, HealthCheckThresholdsAndJitter) {
  EXPECT_EQ(model_errors("    health_check: {unhealthy_threshold: 0, healthy_threshold: 0, jitter_percent: 101}\n"),
            (std::vector<std::string>{
                "t.yaml:8:41: models[0].health_check.unhealthy_threshold: expected a positive integer, got 0",
                "t.yaml:8:63: models[0].health_check.healthy_threshold: expected a positive integer, got 0",
                "t.yaml:8:82: models[0].health_check.jitter_percent: expected an integer from 0 to 100, got 101"}));
}

// --- outlier_detection ---

TEST(ConfigResilienceErrors, OutlierPercentsAtMost100) {
  EXPECT_EQ(model_errors(R"(    outlier_detection:
      max_ejection_percent: 101
      failure_percentage_threshold: 150
      panic_threshold_percent: 200
)"),
            (std::vector<std::string>{
                "t.yaml:9:29: models[0].outlier_detection.max_ejection_percent: expected an integer from 0 to 100, "
                "got 101",
                "t.yaml:10:37: models[0].outlier_detection.failure_percentage_threshold: expected an integer from 0 "
                "to 100, got 150",
                "t.yaml:11:32: models[0].outlier_detection.panic_threshold_percent: expected an integer from 0 to "
                "100, got 200"}));
}

TEST(ConfigResilienceErrors, MaxEjectionTimeAtLeastBase) {
  EXPECT_EQ(model_errors("    outlier_detection: {base_ejection_time: 60s, max_ejection_time: 30s}\n"),
            std::vector<std::string>{"t.yaml:8:69: models[0].outlier_detection.max_ejection_time: max_ejection_time "
                                     "(30s) must be at least base_ejection_time (60s)"});
  EXPECT_EQ(model_errors("    outlier_detection: {base_ejection_time: 10m}\n"),
            std::vector<std::string>{"t.yaml:8:45: models[0].outlier_detection.base_ejection_time: max_ejection_time "
                                     "(300s) must be at least base_ejection_time (600s)"});
}

TEST(ConfigResilienceErrors, OutlierIntervalMustBePositive) {
  EXPECT_EQ(model_errors("    outlier_detection: {interval: 0s, consecutive_5xx: -1}\n"),
            (std::vector<std::string>{
                "t.yaml:8:35: models[0].outlier_detection.interval: expected a positive duration such as \"30s\", "
                "\"250ms\" or \"5m\", got \"0s\"",
                "t.yaml:8:56: models[0].outlier_detection.consecutive_5xx: expected a non-negative integer, got -1"}));
}

// --- circuit_breaker ---

TEST(ConfigResilienceErrors, CircuitBreakerLimitsArePositive) {
  EXPECT_EQ(model_errors("    circuit_breaker: {max_connections: 0, max_in_flight: -5, max_pending: 0}\n"),
            (std::vector<std::string>{
                "t.yaml:8:40: models[0].circuit_breaker.max_connections: expected a positive integer, got 0",
                "t.yaml:8:58: models[0].circuit_breaker.max_in_flight: expected a positive integer, got -5",
                "t.yaml:8:75: models[0].circuit_breaker.max_pending: expected a positive integer, got 0"}));
}

TEST(ConfigResilienceErrors, UnknownModelKeyListsNewKeys) {
  EXPECT_EQ(model_errors("    healthcheck: {}\n"),
            std::vector<std::string>{"t.yaml:8:5: models[0].healthcheck: unknown key (did you mean \"health_check\"?)"});
}

}  // namespace
}  // namespace sluice::config
