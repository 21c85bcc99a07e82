// `max_model_len` of a model, and the warnings a valid config still earns
// (none at present: the old `limits.budget` is an error pointing at `budgets:`).
#include <gtest/gtest.h>

#include "config_test_util.h"
#include "sluice/config/diff.h"
#include "sluice/config/warnings.h"

namespace sluice::config {
namespace {

using testing::errors_of;
using testing::render;
using testing::with_key;

constexpr const char* kTwoModels = R"(tenants:
  - id: acme
    api_keys: [$KEY]
models:
  - name: m1
    source: sim
    sim: {profile: instant}
    max_model_len: 8192
  - name: m2
    source: static
    static: {endpoints: ["http://127.0.0.1:9"]}
)";

TEST(ConfigModelLen, IsReadAndOptional) {
  auto config = load_config_text(with_key(kTwoModels), "t.yaml");
  ASSERT_TRUE(config) << render(config.error());
  EXPECT_EQ(config->models[0].max_model_len, 8192);
  EXPECT_FALSE(config->models[1].max_model_len) << "absent: no context check";
}

TEST(ConfigModelLen, MustBeAPositiveInteger) {
  for (const char* bad : {"0", "-5", "lots", "1.5"}) {
    std::string yaml = kTwoModels;
    yaml.replace(yaml.find("8192"), 4, bad);
    const auto errors = errors_of(yaml);
    ASSERT_EQ(errors.size(), 1u) << bad;
    EXPECT_NE(errors[0].find("t.yaml:8:20: models[0].max_model_len: "), std::string::npos) << errors[0];
  }
}

TEST(ConfigModelLen, AChangeIsListedByAReload) {
  auto before = load_config_text(with_key(kTwoModels), "t.yaml");
  std::string yaml = kTwoModels;
  yaml.replace(yaml.find("8192"), 4, "4096");
  auto after = load_config_text(with_key(yaml), "t.yaml");
  ASSERT_TRUE(before && after);
  const ConfigDiff changes = diff_configs(*before, *after);
  ASSERT_EQ(changes.lines.size(), 1u);
  EXPECT_NE(changes.lines[0].find("max_model_len 8192 -> 4096"), std::string::npos) << changes.lines[0];
  EXPECT_TRUE(needs_restart(*before, *after).empty());
}

TEST(ConfigWarnings, OldLimitsBudgetIsAnErrorThatPointsAtBudgets) {
  auto plain = load_config_text(with_key(kTwoModels), "t.yaml");
  ASSERT_TRUE(plain) << render(plain.error());
  EXPECT_TRUE(config_warnings(*plain).empty());

  std::string yaml = kTwoModels;
  yaml.replace(yaml.find("    api_keys"), 0, "    limits: {rpm: 5, budget: 12.5}\n");
  auto with_budget = load_config_text(with_key(yaml), "t.yaml");
  ASSERT_FALSE(with_budget);
  const std::string text = render(with_budget.error());
  EXPECT_NE(text.find("t.yaml:"), std::string::npos) << text;
  EXPECT_NE(text.find("tenants[0].limits.budget"), std::string::npos) << text;
  EXPECT_NE(text.find("budgets:"), std::string::npos) << text;
}

}  // namespace
}  // namespace sluice::config
