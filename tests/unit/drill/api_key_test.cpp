#include "sluice/drill/api_key.h"

#include <gtest/gtest.h>

#include <map>

namespace sluice::drill {
namespace {

config::Config config_with(std::vector<config::Tenant> tenants) {
  config::Config c;
  c.tenants = std::move(tenants);
  return c;
}

config::Tenant tenant(std::string id, std::vector<std::string> models, std::string source) {
  config::Tenant t;
  t.id = std::move(id);
  t.models = std::move(models);
  t.api_keys.push_back({std::string(64, 'a'), std::move(source)});
  return t;
}

TEST(DrillApiKey, EnvNamesFromTheYaml) {
  const std::string yaml = R"(
tenants:
  - id: a
    api_keys: [{env: DRILL_A}, "sha256:abc", {env: DRILL_B}]
  - id: b
    api_keys:
      - env: DRILL_A
)";
  EXPECT_EQ(env_key_names(yaml), (std::vector<std::string>{"DRILL_A", "DRILL_B"}));
  EXPECT_TRUE(env_key_names("tenants: [").empty()) << "broken YAML is the loader's to report";
  EXPECT_TRUE(env_key_names("models: []").empty());
}

TEST(DrillApiKey, FirstTenantThatMayUseTheModel) {
  const std::map<std::string, std::string> env = {{"KEY_B", "sk-b"}, {"KEY_C", "sk-c"}};
  const auto getenv = [&env](const char* name) -> const char* {
    const auto it = env.find(name);
    return it == env.end() ? nullptr : it->second.c_str();
  };
  const auto cfg = config_with({tenant("a", {"other"}, "env:KEY_A"), tenant("b", {"m"}, "env:KEY_B"),
                                tenant("c", {"*"}, "env:KEY_C")});
  EXPECT_EQ(drill_api_key(cfg, "m", getenv), "sk-b");
  EXPECT_EQ(drill_api_key(cfg, "x", getenv), "sk-c");
  const auto unset = drill_api_key(cfg, "other", getenv);
  ASSERT_FALSE(unset);
  EXPECT_EQ(unset.error(), "tenant a's key comes from $KEY_A, which is not set");
  const auto hashed = drill_api_key(config_with({tenant("h", {"*"}, "sha256")}), "m", getenv);
  ASSERT_FALSE(hashed);
  EXPECT_NE(hashed.error().find("stored only as a SHA-256 hash; pass the plain key with --api-key"), std::string::npos);
  const auto nobody = drill_api_key(config_with({tenant("a", {"other"}, "env:KEY_B")}), "m", getenv);
  ASSERT_FALSE(nobody);
  EXPECT_EQ(nobody.error(), "no tenant may use model m");
}

TEST(DrillApiKey, FreshKeysDiffer) {
  const std::string a = fresh_api_key();
  EXPECT_TRUE(a.starts_with("sk-drill-"));
  EXPECT_EQ(a.size(), 9U + 32U);
  EXPECT_NE(a, fresh_api_key());
}

}  // namespace
}  // namespace sluice::drill
