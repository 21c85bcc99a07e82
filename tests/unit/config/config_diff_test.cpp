// diff_configs and needs_restart: what a hot reload reports, and what it
// refuses.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>

#include "config_test_util.h"
#include "sluice/config/diff.h"

namespace sluice::config {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using testing::with_key;

constexpr const char* kOtherHash = "sha256:0000000000000000000000000000000000000000000000000000000000000000";

Config load(const std::string& text) {
  auto config = load_config_text(with_key(text), "t.yaml");
  if (!config) {
    std::string errors;
    for (const auto& e : config.error()) errors += e.to_string() + "\n";
    ADD_FAILURE() << errors;
    return {};
  }
  return *config;
}

/// A base config; `{}` holes: tenants, models, extra top-level text.
std::string base(const std::string& tenants, const std::string& models, const std::string& extra = "") {
  return "listen: {api: 127.0.0.1:8080, admin: 127.0.0.1:9090}\n"
         "server: {max_body_bytes: 1MiB}\n"
         "tenants:\n" + tenants + "models:\n" + models + extra;
}

const std::string kTenants =
    "  - id: acme\n"
    "    api_keys: [$KEY]\n"
    "    limits: {rpm: 60}\n"
    "  - id: globex\n"
    "    api_keys: [" + std::string(kOtherHash) + "]\n"
    "    models: [small]\n";
const std::string kModels =
    "  - {name: small, source: sim, sim: {profile: instant, instances: 2}}\n"
    "  - name: big\n"
    "    source: static\n"
    "    static: {endpoints: [http://10.0.0.1:8000, http://10.0.0.2:8000]}\n";

bool has_line(const ConfigDiff& d, const std::string& line) {
  return std::find(d.lines.begin(), d.lines.end(), line) != d.lines.end();
}

std::string all_lines(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

TEST(ConfigDiff, SameConfigHasNoChanges) {
  const Config a = load(base(kTenants, kModels));
  const Config b = load(base(kTenants, kModels));
  const ConfigDiff d = diff_configs(a, b);
  EXPECT_TRUE(d.empty()) << all_lines(d.lines);
  EXPECT_THAT(needs_restart(a, b), IsEmpty());
}

TEST(ConfigDiff, TenantAddedRemovedAndChanged) {
  const Config a = load(base(kTenants, kModels));
  const Config b = load(base(
      "  - id: acme\n"
      "    api_keys: [$KEY, " + std::string(kOtherHash) + "]\n"
      "    limits: {rpm: 120, max_concurrency: 4}\n"
      "    weight: 2\n"
      "    priority: critical\n"
      "  - id: initech\n"
      "    api_keys: [\"sha256:1111111111111111111111111111111111111111111111111111111111111111\"]\n",
      kModels));
  const ConfigDiff d = diff_configs(a, b);
  EXPECT_THAT(d.tenants_added, ElementsAre("initech"));
  EXPECT_THAT(d.tenants_removed, ElementsAre("globex"));
  EXPECT_THAT(d.tenants_changed, ElementsAre("acme"));
  EXPECT_TRUE(has_line(d, "tenant added: initech")) << all_lines(d.lines);
  EXPECT_TRUE(has_line(d, "tenant removed: globex")) << all_lines(d.lines);
  EXPECT_TRUE(has_line(d, "tenant acme: api_keys 1 -> 2 keys (1 added)")) << all_lines(d.lines);
  EXPECT_TRUE(has_line(d, "tenant acme: limits.rpm 60 -> 120")) << all_lines(d.lines);
  EXPECT_TRUE(has_line(d, "tenant acme: limits.max_concurrency unset -> 4")) << all_lines(d.lines);
  EXPECT_TRUE(has_line(d, "tenant acme: weight 1 -> 2")) << all_lines(d.lines);
  EXPECT_TRUE(has_line(d, "tenant acme: priority standard -> critical")) << all_lines(d.lines);
  // Tenants may be added, removed and changed by a reload.
  EXPECT_THAT(needs_restart(a, b), IsEmpty());
}

TEST(ConfigDiff, KeyHashesAreNeverPrinted) {
  const Config a = load(base(kTenants, kModels));
  Config b = a;
  b.tenants[0].api_keys[0].sha256_hex = "2222222222222222222222222222222222222222222222222222222222222222";
  const ConfigDiff d = diff_configs(a, b);
  EXPECT_TRUE(has_line(d, "tenant acme: api_keys 1 -> 1 key (1 added, 1 removed)")) << all_lines(d.lines);
  for (const auto& line : d.lines) {
    EXPECT_THAT(line, ::testing::Not(HasSubstr("2222"))) << line;
    EXPECT_THAT(line, ::testing::Not(HasSubstr("62af87"))) << line;
  }
}

TEST(ConfigDiff, ModelLimitsAddedAndChanged) {
  const Config a = load(base(kTenants, kModels));
  Config b = a;
  b.tenants[0].model_limits.push_back(ModelLimits{"small", TenantLimits{.rpm = 10}});
  ConfigDiff d = diff_configs(a, b);
  EXPECT_THAT(d.lines, ElementsAre("tenant acme: model_limits.small added"));
  Config c = b;
  c.tenants[0].model_limits[0].limits.tpm = 1000;
  d = diff_configs(b, c);
  EXPECT_THAT(d.lines, ElementsAre("tenant acme: model_limits.small.tpm unset -> 1000"));
}

TEST(ConfigDiff, ModelSectionsAreNamed) {
  const Config a = load(base(kTenants, kModels));
  Config b = a;
  b.models[0].scheduler.max_engine_waiting = 8;
  b.models[0].balance.policy = BalancePolicy::kRoundRobin;
  b.models[0].health_check.interval = std::chrono::seconds(5);
  b.models[0].outlier_detection.consecutive_5xx = 7;
  b.models[1].circuit_breaker.max_pending = 3;
  b.models[1].static_source.endpoints.pop_back();
  b.models[1].static_source.endpoints.push_back(StaticEndpoint{"http://10.0.0.3:8000", 5, false});
  const ConfigDiff d = diff_configs(a, b);
  EXPECT_THAT(d.models_changed, ElementsAre("small", "big"));
  EXPECT_THAT(d.lines, ElementsAre("model small: scheduler.max_engine_waiting 4 -> 8",
                                   "model small: balance.policy least_request -> round_robin",
                                   "model small: health_check.interval 2s -> 5s",
                                   "model small: outlier_detection.consecutive_5xx 5 -> 7",
                                   "model big: static endpoints + http://10.0.0.3:8000 weight 5, - http://10.0.0.2:8000",
                                   "model big: circuit_breaker.max_pending 128 -> 3"));
  // Endpoints, balance, health checks and outlier detection reload; the
  // circuit breaker does not.
  const auto restart = needs_restart(a, b);
  ASSERT_EQ(restart.size(), 1u) << all_lines(restart);
  EXPECT_THAT(restart[0], HasSubstr("model big: circuit_breaker.max_pending: 128 -> 3 needs a restart"));
}

TEST(ConfigDiff, SimFleetShapeNeedsARestart) {
  const Config a = load(base(kTenants, kModels));
  Config b = a;
  b.models[0].sim.instances = 3;
  b.models[0].sim.speedup = 2;
  const ConfigDiff d = diff_configs(a, b);
  EXPECT_TRUE(has_line(d, "model small: sim.instances 2 -> 3")) << all_lines(d.lines);
  EXPECT_TRUE(has_line(d, "model small: sim.speedup 1 -> 2")) << all_lines(d.lines);
  const auto restart = needs_restart(a, b);
  ASSERT_EQ(restart.size(), 2u) << all_lines(restart);
  EXPECT_THAT(restart[0], HasSubstr("model small: sim.instances: 2 -> 3 needs a restart"));
  EXPECT_THAT(restart[1], HasSubstr("model small: sim.speedup: 1 -> 2 needs a restart"));
}

TEST(ConfigDiff, FairQueueSettingsNeedARestart) {
  const Config a = load(base(kTenants, kModels));
  Config b = a;
  b.models[0].scheduler.policy = SchedPolicy::kFcfs;
  b.models[0].scheduler.w_output = 3;
  b.models[0].scheduler.engine_metrics_interval = std::chrono::seconds(1);
  const auto restart = needs_restart(a, b);
  ASSERT_EQ(restart.size(), 3u) << all_lines(restart);
  EXPECT_THAT(restart[0], HasSubstr("scheduler.policy: vtc -> fcfs"));
  EXPECT_THAT(restart[1], HasSubstr("scheduler.w_output: 2 -> 3"));
  EXPECT_THAT(restart[2], HasSubstr("scheduler.engine_metrics_interval: 500ms -> 1s"));
}

TEST(ConfigDiff, ModelListChangesNeedARestart) {
  const Config a = load(base(kTenants, kModels));
  const Config added = load(base(kTenants, kModels + "  - {name: extra, source: sim, sim: {profile: instant}}\n"));
  ConfigDiff d = diff_configs(a, added);
  EXPECT_THAT(d.models_added, ElementsAre("extra"));
  auto restart = needs_restart(a, added);
  ASSERT_EQ(restart.size(), 1u) << all_lines(restart);
  EXPECT_THAT(restart[0], HasSubstr("models: [small, big] -> [small, big, extra] needs a restart"));

  Config reordered = a;
  std::swap(reordered.models[0], reordered.models[1]);
  d = diff_configs(a, reordered);
  EXPECT_THAT(d.lines, ElementsAre("models reordered"));
  EXPECT_EQ(needs_restart(a, reordered).size(), 1u);

  Config source = a;
  source.models[0].source = ModelSource::kStatic;
  source.models[0].static_source.endpoints.push_back(StaticEndpoint{"http://10.0.0.9:8000"});
  restart = needs_restart(a, source);
  ASSERT_FALSE(restart.empty());
  EXPECT_THAT(restart[0], HasSubstr("model small: source: sim -> static"));
}

TEST(ConfigDiff, ServerAndListenKeys) {
  const Config a = load(base(kTenants, kModels));
  Config b = a;
  b.listen.api.port = 8081;
  b.server.threads = 4;
  b.server.max_body_bytes = 2048;
  b.server.retry.retries = 5;
  b.server.timeouts.first_token = std::chrono::seconds(3);
  b.server.cache_salt_secret = "s3cret-value";
  const ConfigDiff d = diff_configs(a, b);
  EXPECT_THAT(d.server_changed, ElementsAre("listen.api", "server.threads", "server.max_body_bytes",
                                            "server.cache_salt_secret", "server.retry", "server.timeouts"));
  EXPECT_TRUE(has_line(d, "listen.api 127.0.0.1:8080 -> 127.0.0.1:8081")) << all_lines(d.lines);
  EXPECT_TRUE(has_line(d, "server.max_body_bytes 1048576 -> 2048")) << all_lines(d.lines);
  EXPECT_TRUE(has_line(d, "server.retry.retries 2 -> 5")) << all_lines(d.lines);
  EXPECT_TRUE(has_line(d, "server.timeouts.first_token 60s -> 3s")) << all_lines(d.lines);
  EXPECT_TRUE(has_line(d, "server.cache_salt_secret changed")) << all_lines(d.lines);
  const auto restart = needs_restart(a, b);
  ASSERT_EQ(restart.size(), 3u) << all_lines(restart);
  EXPECT_THAT(restart[0], HasSubstr("listen.api: 127.0.0.1:8080 -> 127.0.0.1:8081 needs a restart"));
  EXPECT_THAT(restart[1], HasSubstr("server.threads: 0 -> 4"));
  EXPECT_THAT(restart[2], HasSubstr("server.cache_salt_secret changed"));
  for (const auto& line : d.lines) EXPECT_THAT(line, ::testing::Not(HasSubstr("s3cret"))) << line;
  for (const auto& line : restart) EXPECT_THAT(line, ::testing::Not(HasSubstr("s3cret"))) << line;
}

TEST(ConfigDiff, RoutesAddedRemovedChangedAndReordered) {
  const std::string models =
      "  - {name: small, source: sim, sim: {profile: instant}}\n"
      "  - {name: big, source: sim, sim: {profile: instant}}\n";
  const Config a = load(base(kTenants, models,
                             "routes:\n"
                             "  - {name: one, match: {model: chat}, split: [{model: small}]}\n"
                             "  - {name: two, match: {model: code}, split: [{model: big}]}\n"));
  const Config b = load(base(kTenants, models,
                             "routes:\n"
                             "  - {name: three, match: {model: x}, split: [{model: big}]}\n"
                             "  - {name: one, match: {model: chat}, split: [{model: small, weight: 1}, "
                             "{model: big, weight: 1}]}\n"));
  const ConfigDiff d = diff_configs(a, b);
  EXPECT_THAT(d.routes_added, ElementsAre("three"));
  EXPECT_THAT(d.routes_removed, ElementsAre("two"));
  EXPECT_THAT(d.routes_changed, ElementsAre("one"));
  EXPECT_TRUE(has_line(d, "route one: split small:1 -> small:1, big:1")) << all_lines(d.lines);
  EXPECT_THAT(needs_restart(a, b), IsEmpty());

  const Config c = load(base(kTenants, models,
                             "routes:\n"
                             "  - {name: two, match: {model: code}, split: [{model: big}]}\n"
                             "  - {name: one, match: {model: chat}, split: [{model: small}]}\n"));
  EXPECT_THAT(diff_configs(a, c).lines, ElementsAre("routes reordered"));
}

}  // namespace
}  // namespace sluice::config
