// One test per kind of config error, each pinning the exact
// `file:line:col: key: message` text.
#include <gtest/gtest.h>

#include <cstdlib>

#include "config_test_util.h"

namespace sluice::config {
namespace {

using testing::errors_of;

// A valid tail appended to tenant-only fixtures (starts on a fresh line).
constexpr const char* kModels = R"(
models:
  - name: m1
    source: sim
    sim: {profile: instant}
)";

TEST(ConfigErrors, BadTypeNamesKeyPositionAndValue) {
  EXPECT_EQ(errors_of(std::string(R"(tenants:
  - id: acme
    api_keys: [$KEY]
    limits:
      rpm: lots)") + kModels),
            std::vector<std::string>{"t.yaml:5:12: tenants[0].limits.rpm: expected a positive integer, got \"lots\""});
}

TEST(ConfigErrors, MappingWhereScalarExpected) {
  EXPECT_EQ(errors_of(std::string(R"(tenants:
  - id: acme
    api_keys: [$KEY]
    weight: {a: 1})") + kModels),
            std::vector<std::string>{"t.yaml:4:13: tenants[0].weight: expected a positive number, got a mapping"});
}

TEST(ConfigErrors, OutOfRange) {
  EXPECT_EQ(errors_of(std::string(R"(tenants:
  - id: acme
    api_keys: [$KEY]
    limits: {max_concurrency: 0})") + kModels),
            std::vector<std::string>{
                "t.yaml:4:31: tenants[0].limits.max_concurrency: expected a positive integer, got 0"});
  EXPECT_EQ(errors_of(std::string(R"(server:
  threads: 5000
tenants:
  - id: acme
    api_keys: [$KEY])") + kModels),
            std::vector<std::string>{"t.yaml:2:12: server.threads: expected an integer from 0 to 1024, got 5000"});
}

TEST(ConfigErrors, UnknownKeyWithHint) {
  EXPECT_EQ(errors_of(std::string(R"(tenents:
  - id: acme
    api_keys: [$KEY])") + kModels),
            (std::vector<std::string>{"t.yaml:1:1: tenents: unknown key (did you mean \"tenants\"?)"}));
}

TEST(ConfigErrors, UnknownKeyWithoutHintListsAllowedKeys) {
  EXPECT_EQ(errors_of(std::string(R"(tenants:
  - id: acme
    api_keys: [$KEY]
    colour: blue)") + kModels),
            std::vector<std::string>{"t.yaml:4:5: tenants[0].colour: unknown key; expected one of: id, name, "
                                     "api_keys, models, weight, priority, max_priority, limits, model_limits, gpu_quota, budgets"});
}

TEST(ConfigErrors, MissingRequiredKeyPointsAtParent) {
  EXPECT_EQ(errors_of(std::string(R"(tenants:
  - name: Acme
    api_keys: [$KEY])") + kModels),
            std::vector<std::string>{"t.yaml:2:5: tenants[0].id: missing required key"});
}

TEST(ConfigErrors, DuplicateTenantIdNamesBothPlaces) {
  EXPECT_EQ(errors_of(std::string(R"(tenants:
  - id: acme
    api_keys: [$KEY]
  - id: acme
    api_keys: ["sha256:0000000000000000000000000000000000000000000000000000000000000000"])") + kModels),
            std::vector<std::string>{"t.yaml:4:9: tenants[1].id: duplicate tenant id \"acme\"; first defined at "
                                     "tenants[0].id (line 2, column 9)"});
}

TEST(ConfigErrors, DuplicateModelName) {
  EXPECT_EQ(errors_of(R"(tenants:
  - id: acme
    api_keys: [$KEY]
models:
  - name: m1
    source: sim
    sim: {profile: instant}
  - name: m1
    source: sim
    sim: {profile: instant}
)"),
            std::vector<std::string>{"t.yaml:8:11: models[1].name: duplicate model name \"m1\"; first defined at "
                                     "models[0].name (line 5, column 11)"});
}

TEST(ConfigErrors, DuplicateApiKeyAcrossTenants) {
  EXPECT_EQ(errors_of(std::string(R"(tenants:
  - id: acme
    api_keys: [$KEY]
  - id: globex
    api_keys: [$KEY])") + kModels),
            std::vector<std::string>{"t.yaml:5:16: tenants[1].api_keys[0]: the same API key is already used by "
                                     "tenant \"acme\" at tenants[0].api_keys[0] (line 3, column 16)"});
}

TEST(ConfigErrors, UnknownModelInTenant) {
  EXPECT_EQ(errors_of(std::string(R"(tenants:
  - id: acme
    api_keys: [$KEY]
    models: [m2, nothing-like-it])") + kModels),
            (std::vector<std::string>{
                "t.yaml:4:14: tenants[0].models[0]: unknown model \"m2\" (did you mean \"m1\"?)",
                "t.yaml:4:18: tenants[0].models[1]: unknown model \"nothing-like-it\"; configured models: m1"}));
}

TEST(ConfigErrors, UnknownModelInReadyModels) {
  EXPECT_EQ(errors_of(std::string(R"(server:
  ready_models: [m2]
tenants:
  - id: acme
    api_keys: [$KEY])") + kModels),
            (std::vector<std::string>{
                "t.yaml:2:18: server.ready_models[0]: unknown model \"m2\" (did you mean \"m1\"?)"}));
}

TEST(ConfigErrors, BadSha256) {
  EXPECT_EQ(errors_of(std::string(R"(tenants:
  - id: acme
    api_keys:
      - sha256:9F86D0)") + kModels),
            std::vector<std::string>{"t.yaml:4:9: tenants[0].api_keys[0]: expected \"sha256:\" and 64 lower-case "
                                     "hex digits, got \"sha256:9F86D0\""});
}

TEST(ConfigErrors, PlainKeyIsRejectedWithoutEchoingIt) {
  const auto errors = errors_of(std::string(R"(tenants:
  - id: acme
    api_keys: [sk-live-secret])") + kModels);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_TRUE(errors[0].starts_with("t.yaml:3:16: tenants[0].api_keys[0]: expected \"sha256:")) << errors[0];
  EXPECT_EQ(errors[0].find("sk-live-secret"), std::string::npos);
}

TEST(ConfigErrors, UnsetEnvKey) {
  ::unsetenv("SLUICE_TEST_UNSET_KEY");
  EXPECT_EQ(errors_of(std::string(R"(tenants:
  - id: acme
    api_keys:
      - env: SLUICE_TEST_UNSET_KEY)") + kModels),
            std::vector<std::string>{
                "t.yaml:4:14: tenants[0].api_keys[0].env: environment variable SLUICE_TEST_UNSET_KEY is not set"});
  ::setenv("SLUICE_TEST_EMPTY_KEY", "", 1);
  EXPECT_EQ(errors_of(std::string(R"(tenants:
  - id: acme
    api_keys:
      - env: SLUICE_TEST_EMPTY_KEY)") + kModels),
            std::vector<std::string>{
                "t.yaml:4:14: tenants[0].api_keys[0].env: environment variable SLUICE_TEST_EMPTY_KEY is empty"});
}

TEST(ConfigErrors, BadDuration) {
  EXPECT_EQ(errors_of(std::string(R"(server:
  upstream_timeout: soon
tenants:
  - id: acme
    api_keys: [$KEY])") + kModels),
            std::vector<std::string>{"t.yaml:2:21: server.upstream_timeout: expected a positive duration such as "
                                     "\"30s\", \"250ms\" or \"5m\", got \"soon\""});
}

TEST(ConfigErrors, BadListenEndpoint) {
  EXPECT_EQ(errors_of(std::string(R"(listen:
  api: localhost
  admin: 127.0.0.1:70000
tenants:
  - id: acme
    api_keys: [$KEY])") + kModels),
            (std::vector<std::string>{
                "t.yaml:2:8: listen.api: expected host:port with a port from 0 to 65535, got \"localhost\"",
                "t.yaml:3:10: listen.admin: expected host:port with a port from 0 to 65535, got \"127.0.0.1:70000\""}));
}

TEST(ConfigErrors, ApiAndAdminOnTheSameEndpoint) {
  EXPECT_EQ(errors_of(std::string(R"(listen:
  api: 0.0.0.0:8080
  admin: 127.0.0.1:8080
tenants:
  - id: acme
    api_keys: [$KEY])") + kModels),
            std::vector<std::string>{
                "t.yaml:3:10: listen.admin: must differ from listen.api (line 2, column 8)"});
}

TEST(ConfigErrors, BadStaticEndpoint) {
  EXPECT_EQ(errors_of(R"(tenants:
  - id: acme
    api_keys: [$KEY]
models:
  - name: m1
    source: static
    static:
      endpoints: ["ftp://a:443", "http://b", "http://c:8000/v1/", "https://d/v1"]
)"),
            (std::vector<std::string>{"t.yaml:8:19: models[0].static.endpoints[0]: expected an "
                                      "http://host:port[/prefix] or https://host[:port][/prefix] URL, got "
                                      "\"ftp://a:443\"",
                                      "t.yaml:8:34: models[0].static.endpoints[1]: expected an "
                                      "http://host:port[/prefix] or https://host[:port][/prefix] URL, got "
                                      "\"http://b\""}));
}

TEST(ConfigErrors, BadPriority) {
  EXPECT_EQ(errors_of(std::string(R"(tenants:
  - id: acme
    api_keys: [$KEY]
    priority: standrad)") + kModels),
            std::vector<std::string>{"t.yaml:4:15: tenants[0].priority: expected one of critical, standard, batch, "
                                     "got \"standrad\" (did you mean \"standard\"?)"});
}

TEST(ConfigErrors, BadProfile) {
  EXPECT_EQ(errors_of(R"(tenants:
  - id: acme
    api_keys: [$KEY]
models:
  - name: m1
    source: sim
    sim: {instances: 0, profile: llama-8b}
)"),
            (std::vector<std::string>{
                "t.yaml:7:22: models[0].sim.instances: expected a positive integer, got 0",
                "t.yaml:7:34: models[0].sim.profile: expected one of llama-3.1-8b-h100, mistral-7b-h100, "
                "llama-3.1-70b-4xh100, instant, got \"llama-8b\""}));
}

TEST(ConfigErrors, WrongSourceSection) {
  EXPECT_EQ(errors_of(R"(tenants:
  - id: acme
    api_keys: [$KEY]
models:
  - name: m1
    source: sim
    static:
      endpoints: ["http://10.0.0.1:8000"]
)"),
            (std::vector<std::string>{"t.yaml:5:5: models[0].sim: missing required key (source is sim)",
                                      "t.yaml:8:7: models[0].static: not allowed when source is sim"}));
}

TEST(ConfigErrors, YamlSyntaxError) {
  const auto errors = errors_of("tenants:\n  - id: acme\n    api_keys: [unclosed\nmodels: []\n");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_TRUE(errors[0].starts_with("t.yaml:")) << errors[0];
  EXPECT_NE(errors[0].find(": invalid YAML: "), std::string::npos) << errors[0];
  auto result = load_config_text("a: [1, 2\nb: }\n", "t.yaml");
  ASSERT_FALSE(result);
  EXPECT_GT(result.error()[0].line, 0);
  EXPECT_GT(result.error()[0].column, 0);
}

TEST(ConfigErrors, EmptyListsAndInvalidTenantId) {
  // No tenants in the file is fine: they may all live in the store.
  EXPECT_EQ(errors_of("tenants: []\nmodels: []\n"),
            (std::vector<std::string>{"t.yaml:2:9: models: expected at least one model"}));
  EXPECT_EQ(errors_of(std::string(R"(tenants:
  - id: Acme Corp
    api_keys: [$KEY])") + kModels),
            std::vector<std::string>{
                "t.yaml:2:9: tenants[0].id: expected a tenant id matching [a-z0-9][a-z0-9_-]{0,62}, got \"Acme Corp\""});
}

TEST(ConfigErrors, DuplicateYamlKey) {
  EXPECT_EQ(errors_of(std::string(R"(tenants:
  - id: acme
    weight: 1
    weight: 2
    api_keys: [$KEY])") + kModels),
            std::vector<std::string>{"t.yaml:4:5: tenants[0].weight: duplicate key (first at line 3, column 5)"});
}

TEST(ConfigErrors, UnreadableFile) {
  auto result = load_config_file("/nonexistent/sluice.yaml");
  ASSERT_FALSE(result);
  ASSERT_EQ(result.error().size(), 1u);
  EXPECT_EQ(result.error()[0].to_string(), "/nonexistent/sluice.yaml: cannot read the file: No such file or directory");
}

}  // namespace
}  // namespace sluice::config
