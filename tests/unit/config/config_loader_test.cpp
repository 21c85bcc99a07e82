// Whole-file loading: the shipped examples, defaults, many errors at once,
// env keys, and the check-config summary.
#include <gtest/gtest.h>

#include <cstdlib>

#include "config_test_util.h"
#include "sluice/config/api_key_hash.h"

namespace sluice::config {
namespace {

using namespace std::chrono_literals;
using testing::errors_of;
using testing::render;
using testing::with_key;

TEST(ConfigLoader, QuickstartLoadsCleanly) {
  auto config = load_config_file(SLUICE_SOURCE_DIR "/examples/quickstart.yaml");
  ASSERT_TRUE(config) << render(config.error());
  EXPECT_EQ(config->listen.api.host, "127.0.0.1");
  EXPECT_EQ(config->listen.api.port, 8080);
  EXPECT_EQ(config->listen.admin.port, 9090);
  ASSERT_EQ(config->tenants.size(), 2u);
  const Tenant& acme = config->tenants[0];
  EXPECT_EQ(acme.id, "acme");
  EXPECT_EQ(acme.display_name, "Acme Corp");
  EXPECT_EQ(acme.weight, 2.0);
  EXPECT_EQ(acme.priority, Priority::kStandard);
  EXPECT_EQ(acme.models, std::vector<std::string>{"*"});
  ASSERT_EQ(acme.api_keys.size(), 1u);
  EXPECT_EQ(acme.api_keys[0].sha256_hex, sha256_hex("sk-demo-acme"));
  const Tenant& globex = config->tenants[1];
  EXPECT_EQ(globex.display_name, "Globex");
  EXPECT_EQ(globex.api_keys[0].sha256_hex, sha256_hex("sk-demo-globex"));
  EXPECT_EQ(globex.models, (std::vector<std::string>{"llama-3.1-8b-instruct", "mistral-7b-instruct"}));
  ASSERT_EQ(config->models.size(), 3u);
  const Model* big = config->find_model("llama-3.1-70b-instruct");
  ASSERT_NE(big, nullptr);
  EXPECT_EQ(big->source, ModelSource::kSim);
  EXPECT_EQ(big->sim.instances, 1);
  EXPECT_EQ(big->sim.profile, "llama-3.1-70b-4xh100");
  EXPECT_EQ(big->gpu.count, 4);
  EXPECT_EQ(config->find_model("llama-3.1-8b-instruct")->sim.instances, 2);
  EXPECT_EQ(config->find_model("mistral-7b-instruct")->sim.profile, "mistral-7b-h100");
  EXPECT_EQ(config->server.max_body_bytes, 4u * 1024 * 1024);
}

TEST(ConfigLoader, VllmExampleLoadsCleanly) {
  auto config = load_config_file(SLUICE_SOURCE_DIR "/examples/vllm.yaml");
  ASSERT_TRUE(config) << render(config.error());
  ASSERT_EQ(config->tenants.size(), 2u);
  ASSERT_EQ(config->models.size(), 3u);
  for (const auto& model : config->models) {
    EXPECT_EQ(model.source, ModelSource::kStatic) << model.name;
    EXPECT_FALSE(model.static_source.endpoints.empty()) << model.name;
    EXPECT_NE(model.upstream_model, model.name) << model.name;
  }
  EXPECT_EQ(config->find_model("llama-3.1-8b-instruct")->upstream_model, "meta-llama/Llama-3.1-8B-Instruct");
}

TEST(ConfigLoader, DefaultsAreApplied) {
  auto config = load_config_text(with_key(R"(tenants:
  - id: acme
    api_keys: [$KEY]
models:
  - name: m1
    source: sim
    sim: {profile: instant}
)"),
                                 "t.yaml");
  ASSERT_TRUE(config) << render(config.error());
  EXPECT_EQ(config->source_path, "t.yaml");
  EXPECT_EQ(config->listen.api.host, "127.0.0.1");
  EXPECT_EQ(config->listen.api.port, 8080);
  EXPECT_EQ(config->listen.admin.port, 9090);
  const ServerConfig defaults;
  EXPECT_EQ(config->server.threads, defaults.threads);
  EXPECT_EQ(config->server.max_body_bytes, defaults.max_body_bytes);
  EXPECT_EQ(config->server.request_read_timeout, 30s);
  EXPECT_EQ(config->server.timeouts.total, 600s);
  EXPECT_EQ(config->server.access_log, "-");
  EXPECT_EQ(config->server.cache_salt_secret, "");
  const Tenant& t = config->tenants[0];
  EXPECT_EQ(t.display_name, "acme");
  EXPECT_EQ(t.models, std::vector<std::string>{"*"});
  EXPECT_EQ(t.weight, 1.0);
  EXPECT_EQ(t.priority, Priority::kStandard);
  EXPECT_FALSE(t.limits.rpm);
  EXPECT_TRUE(t.budgets.empty());
  EXPECT_EQ(t.api_keys[0].source, "sha256");
  const Model& m = config->models[0];
  EXPECT_EQ(m.upstream_model, "m1");
  EXPECT_TRUE(m.cache_salt);
  EXPECT_EQ(m.default_max_tokens, 256);
  EXPECT_EQ(m.sim.instances, 1);
  EXPECT_EQ(m.gpu.count, 1);
  EXPECT_EQ(m.sim.speedup, 1.0);
}

TEST(ConfigLoader, EveryFieldIsRead) {
  ::setenv("SLUICE_TEST_SALT", "pepper", 1);
  ::setenv("SLUICE_TEST_PLAIN_KEY", "sk-from-env", 1);
  auto config = load_config_text(with_key(R"(listen:
  api: "[::1]:0"
  admin: 0.0.0.0:0
server:
  threads: 4
  max_body_bytes: 512KiB
  max_header_bytes: 8192
  max_header_count: 50
  request_read_timeout: 250ms
  upstream_connect_timeout: 2s
  upstream_timeout: 5m
  shutdown_grace: 1.5s
  access_log: ""
  cache_salt_secret: {env: SLUICE_TEST_SALT}
tenants:
  - id: acme_2
    name: Acme
    api_keys: [$KEY, {env: SLUICE_TEST_PLAIN_KEY}]
    models: [m1]
    weight: 0.5
    priority: batch
    limits: {rpm: 1, tpm: 2, max_concurrency: 3, max_queue: 4, max_queue_wait: 5s}
models:
  - name: m1
    source: sim
    sim: {instances: 3, profile: instant, speedup: 10, seed: 7}
    gpu: {count: 2}
    cache_salt: false
    default_max_tokens: 64
  - name: m2
    source: static
    static: {endpoints: ["http://10.0.0.5:8000/", "http://[fd00::1]:8000/v1"]}
    upstream_model: org/M2
)"),
                                 "t.yaml");
  ASSERT_TRUE(config) << render(config.error());
  EXPECT_EQ(config->listen.api.host, "::1");
  EXPECT_EQ(config->listen.api.port, 0);
  EXPECT_EQ(config->listen.admin.host, "0.0.0.0");
  EXPECT_EQ(config->server.threads, 4);
  EXPECT_EQ(config->server.max_body_bytes, 512u * 1024);
  EXPECT_EQ(config->server.max_header_bytes, 8192u);
  EXPECT_EQ(config->server.max_header_count, 50u);
  EXPECT_EQ(config->server.request_read_timeout, 250ms);
  EXPECT_EQ(config->server.upstream_connect_timeout, 2s);
  EXPECT_EQ(config->server.timeouts.total, 5min);
  EXPECT_EQ(config->server.shutdown_grace, 1500ms);
  EXPECT_EQ(config->server.access_log, "");
  EXPECT_EQ(config->server.cache_salt_secret, "pepper");
  const Tenant& t = config->tenants[0];
  EXPECT_EQ(t.display_name, "Acme");
  ASSERT_EQ(t.api_keys.size(), 2u);
  EXPECT_EQ(t.api_keys[1].sha256_hex, sha256_hex("sk-from-env"));
  EXPECT_EQ(t.api_keys[1].source, "env:SLUICE_TEST_PLAIN_KEY");
  EXPECT_EQ(t.weight, 0.5);
  EXPECT_EQ(t.priority, Priority::kBatch);
  EXPECT_EQ(t.limits.rpm, 1);
  EXPECT_EQ(t.limits.tpm, 2);
  EXPECT_EQ(t.limits.max_concurrency, 3);
  EXPECT_EQ(t.limits.max_queue, 4);
  EXPECT_EQ(t.limits.max_queue_wait, 5s);
  const Model& m1 = config->models[0];
  EXPECT_EQ(m1.sim.instances, 3);
  EXPECT_EQ(m1.gpu.count, 2);
  EXPECT_EQ(m1.sim.speedup, 10.0);
  EXPECT_EQ(m1.sim.seed, 7u);
  EXPECT_FALSE(m1.cache_salt);
  EXPECT_EQ(m1.default_max_tokens, 64);
  const Model& m2 = config->models[1];
  EXPECT_EQ(m2.source, ModelSource::kStatic);
  ASSERT_EQ(m2.static_source.endpoints.size(), 2u);
  EXPECT_EQ(m2.static_source.endpoints[0].url, "http://10.0.0.5:8000");
  EXPECT_EQ(m2.static_source.endpoints[1].url, "http://[fd00::1]:8000/v1");
  EXPECT_EQ(m2.upstream_model, "org/M2");
}

TEST(ConfigLoader, AllErrorsAreReportedAtOnce) {
  const auto errors = errors_of(R"(listen:
  api: nowhere
tenents: []
tenants:
  - id: acme
    api_keys: [$KEY]
    weight: -1
    priority: urgent
    limits: {rpm: lots, max_queue_wait: forever}
models:
  - name: m1
    source: sim
    sim: {profile: nope, speedup: 0}
)");
  EXPECT_EQ(errors, (std::vector<std::string>{
                        "t.yaml:2:8: listen.api: expected host:port with a port from 0 to 65535, got \"nowhere\"",
                        "t.yaml:3:1: tenents: unknown key (did you mean \"tenants\"?)",
                        "t.yaml:7:13: tenants[0].weight: expected a positive number, got \"-1\"",
                        "t.yaml:8:15: tenants[0].priority: expected one of critical, standard, batch, got \"urgent\"",
                        "t.yaml:9:19: tenants[0].limits.rpm: expected a positive integer, got \"lots\"",
                        "t.yaml:9:41: tenants[0].limits.max_queue_wait: expected a positive duration such as "
                        "\"30s\", \"250ms\" or \"5m\", got \"forever\"",
                        "t.yaml:13:20: models[0].sim.profile: expected one of llama-3.1-8b-h100, mistral-7b-h100, "
                        "llama-3.1-70b-4xh100, instant, got \"nope\"",
                        "t.yaml:13:35: models[0].sim.speedup: expected a positive number, got \"0\""}))
      << ::testing::PrintToString(errors);
}

TEST(ConfigLoader, EmptyDocumentNeedsModels) {
  // Tenants may all live in the store.
  EXPECT_EQ(errors_of(""), (std::vector<std::string>{"t.yaml:1:1: models: missing required key"}));
  EXPECT_EQ(errors_of("- a\n- b\n"),
            std::vector<std::string>{"t.yaml:1:1: (top level): expected a mapping, got a list"});
}

TEST(ConfigLoader, SummaryHasOneLinePerItemAndNoSecrets) {
  ::setenv("SLUICE_TEST_SUMMARY_SALT", "very-secret-salt", 1);
  auto config = load_config_text(with_key(R"(server:
  cache_salt_secret: {env: SLUICE_TEST_SUMMARY_SALT}
tenants:
  - id: acme
    api_keys: [$KEY]
    limits: {rpm: 10}
models:
  - name: m1
    source: sim
    sim: {instances: 2, profile: instant}
)"),
                                 "t.yaml");
  ASSERT_TRUE(config) << render(config.error());
  const std::string summary = summarize(*config);
  EXPECT_EQ(summary,
            "config t.yaml: 1 tenant, 1 model\n"
            "listen: api 127.0.0.1:8080, admin 127.0.0.1:9090\n"
            "server: threads auto, max_body_bytes 4194304, request_read_timeout 30s, upstream_timeout 600s, "
            "access_log stdout, cache_salt_secret set\n"
            "tenant acme \"acme\": 1 API key, models * (all), weight 1, priority standard (max standard), limits rpm=10\n"
            "model m1: sim 2 x instant (1 GPU each, speedup 1, seed 0); upstream model m1, cache_salt on, "
            "default_max_tokens 256; scheduler vtc (w_input 1, w_output 2, batch_promote_after 60s, "
            "max_in_flight_per_instance auto)\n");
  EXPECT_EQ(summary.find("very-secret-salt"), std::string::npos);
  EXPECT_EQ(summary.find(config->tenants[0].api_keys[0].sha256_hex), std::string::npos);
}

TEST(ConfigLoader, SummaryHasRouteLinesAndNonDefaultBalancePolicies) {
  auto config = load_config_text(with_key(R"(tenants:
  - id: acme
    api_keys: [$KEY]
models:
  - name: v1
    source: sim
    sim: {instances: 2, profile: instant, backup_instances: 1}
    balance: {policy: consistent_hash, hash_on: {header: X-Session-Id}}
  - name: v2
    source: sim
    sim: {profile: instant}
    balance: {policy: least_tokens}
  - name: shadow
    source: sim
    sim: {profile: instant}
routes:
  - name: canary
    match: {model: chat, headers: [{name: X-Env, exact: prod}, {name: x-u, regex: "u.*"}], tenants: [acme]}
    split: [{model: v1, weight: 90}, {model: v2, weight: 10}]
    sticky: user
    mirror: {model: shadow, percent: 5}
    fault: {abort: {percent: 1}, delay: {percent: 2, duration: 250ms}}
    timeouts: {per_try: 5s}
    retry: {retries: 1}
  - model: v1
    upstream_model: org/v1
)"),
                                 "t.yaml");
  ASSERT_TRUE(config) << render(config.error());
  const std::string summary = summarize(*config);
  EXPECT_NE(summary.find("(w_input 1, w_output 2, batch_promote_after 60s, max_in_flight_per_instance auto); balance "
                         "consistent_hash on header x-session-id (maglev, load_factor 1.25)\n"),
            std::string::npos)
      << summary;
  EXPECT_NE(summary.find("model v1: sim 2 x instant (1 GPU each, speedup 1, seed 0, 1 backup);"), std::string::npos)
      << summary;
  EXPECT_NE(summary.find("max_in_flight_per_instance auto); balance least_tokens\n"), std::string::npos) << summary;
  EXPECT_NE(summary.find("route canary: model=chat x-env=prod x-u~=u.* tenants=acme -> v1=90 v2=10; sticky on user; "
                         "mirror 5% to shadow; abort 1% with 503; delay 2% by 250ms; timeouts total 600s, per_try 5s, "
                         "first_token 60s, stream_idle 30s; retries 1\n"),
            std::string::npos)
      << summary;
  EXPECT_NE(summary.find("route routes[1]: everything -> v1; upstream model org/v1\n"), std::string::npos) << summary;
}

}  // namespace
}  // namespace sluice::config
