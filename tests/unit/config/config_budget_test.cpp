// A tenant's `budgets` and a model's `pricing`: what is read, the errors at
// file:line:col, the summary and the reload diff.
#include <gtest/gtest.h>

#include "config_test_util.h"
#include "sluice/config/budget_text.h"
#include "sluice/config/diff.h"

namespace sluice::config {
namespace {

using testing::errors_of;
using testing::render;
using testing::with_key;

constexpr const char* kBase = R"(tenants:
  - id: acme
    api_keys: [$KEY]
    budgets:
      - {limit: 100, unit: usd, period: month, soft: 90%}
      - {limit: 50000, unit: tokens, period: day, soft: 0.5}
      - {limit: 7.5, unit: usd, period: total}
models:
  - name: m1
    source: sim
    sim: {profile: instant}
    pricing: {input_per_million: 0.5, output_per_million: 1.5}
)";

/// kBase with the first `from` replaced by `to`.
std::string edited(std::string_view from, std::string_view to) {
  std::string yaml = kBase;
  const auto at = yaml.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) yaml.replace(at, from.size(), to);
  return yaml;
}

TEST(ConfigBudgets, AreRead) {
  auto config = load_config_text(with_key(kBase), "t.yaml");
  ASSERT_TRUE(config) << render(config.error());
  const auto& b = config->tenants[0].budgets;
  ASSERT_EQ(b.size(), 3u);
  EXPECT_EQ(b[0], (Budget{100, BudgetUnit::kUsd, BudgetPeriod::kMonth, 0.9}));
  EXPECT_EQ(b[1], (Budget{50000, BudgetUnit::kTokens, BudgetPeriod::kDay, 0.5}));
  EXPECT_EQ(b[2], (Budget{7.5, BudgetUnit::kUsd, BudgetPeriod::kTotal, 0.8}));
  EXPECT_EQ(config->models[0].input_price_per_million, 0.5);
  EXPECT_EQ(config->models[0].output_price_per_million, 1.5);
  const std::string summary = summarize(*config);
  EXPECT_NE(summary.find("budgets $100.00 per month (soft 90%), 50000 tokens per day (soft 50%), $7.50 in total "
                         "(soft 80%)"),
            std::string::npos)
      << summary;
  EXPECT_NE(summary.find("pricing $0.5/$1.5 per million input/output tokens"), std::string::npos) << summary;
}

TEST(ConfigBudgets, PeriodDefaultsToMonthAndAbsentMeansNone) {
  auto config = load_config_text(with_key(edited("{limit: 7.5, unit: usd, period: total}", "{limit: 7, unit: tokens}")),
                                 "t.yaml");
  ASSERT_TRUE(config) << render(config.error());
  EXPECT_EQ(config->tenants[0].budgets[2], (Budget{7, BudgetUnit::kTokens, BudgetPeriod::kMonth, 0.8}));
  auto plain = load_config_text(with_key(R"(tenants:
  - id: acme
    api_keys: [$KEY]
models:
  - name: m1
    source: sim
    sim: {profile: instant}
)"),
                                "t.yaml");
  ASSERT_TRUE(plain) << render(plain.error());
  EXPECT_TRUE(plain->tenants[0].budgets.empty());
  EXPECT_EQ(plain->models[0].input_price_per_million, 0);
  EXPECT_EQ(plain->models[0].output_price_per_million, 0);
}

TEST(ConfigBudgets, BadValuesAreErrorsAtTheirPlace) {
  EXPECT_EQ(errors_of(edited("limit: 100,", "limit: -1,")),
            (std::vector<std::string>{"t.yaml:5:17: tenants[0].budgets[0].limit: expected a number of at least 0, "
                                      "got \"-1\""}));
  EXPECT_EQ(errors_of(edited("unit: usd, period: month", "unit: eur, period: month")),
            (std::vector<std::string>{"t.yaml:5:28: tenants[0].budgets[0].unit: expected one of usd, tokens, got "
                                      "\"eur\""}));
  EXPECT_EQ(errors_of(edited("period: month", "period: week")),
            (std::vector<std::string>{"t.yaml:5:41: tenants[0].budgets[0].period: expected one of day, month, "
                                      "total, got \"week\""}));
  EXPECT_EQ(errors_of(edited("soft: 90%", "soft: 120%")),
            (std::vector<std::string>{"t.yaml:5:54: tenants[0].budgets[0].soft: expected a fraction of the limit "
                                      "above 0, at most 1 (0.8), or a percentage (\"80%\"), got \"120%\""}));
  EXPECT_EQ(errors_of(edited("soft: 0.5", "soft: 80")).size(), 1u);
  EXPECT_EQ(errors_of(edited("{limit: 100, unit: usd,", "{unit: usd,")),
            (std::vector<std::string>{"t.yaml:5:9: tenants[0].budgets[0].limit: missing required key"}));
  const auto no_unit = errors_of(edited("unit: tokens, ", ""));
  ASSERT_EQ(no_unit.size(), 1u);
  EXPECT_NE(no_unit[0].find("tenants[0].budgets[1].unit: missing required key (say usd or tokens)"),
            std::string::npos)
      << no_unit[0];
  const auto typo = errors_of(edited("soft: 90%", "sfot: 90%"));
  ASSERT_EQ(typo.size(), 1u);
  EXPECT_NE(typo[0].find("did you mean \"soft\""), std::string::npos) << typo[0];
  const auto twice = errors_of(edited("{limit: 7.5, unit: usd, period: total}", "{limit: 7.5, unit: usd}"));
  ASSERT_EQ(twice.size(), 1u);
  EXPECT_NE(twice[0].find("t.yaml:7:9: tenants[0].budgets[2]: a second usd budget per month"), std::string::npos)
      << twice[0];
  const auto not_list = errors_of(edited(
      "    budgets:\n      - {limit: 100, unit: usd, period: month, soft: 90%}\n"
      "      - {limit: 50000, unit: tokens, period: day, soft: 0.5}\n      - {limit: 7.5, unit: usd, period: total}\n",
      "    budgets: 5\n"));
  ASSERT_FALSE(not_list.empty());
  EXPECT_NE(not_list[0].find("tenants[0].budgets: expected a list"), std::string::npos) << not_list[0];
}

TEST(ConfigBudgets, BadPricesAreErrors) {
  EXPECT_EQ(errors_of(edited("input_per_million: 0.5", "input_per_million: -0.5")),
            (std::vector<std::string>{"t.yaml:12:34: models[0].pricing.input_per_million: expected a number of at "
                                      "least 0, got \"-0.5\""}));
  const auto typo = errors_of(edited("output_per_million", "outptu_per_million"));
  ASSERT_EQ(typo.size(), 1u);
  EXPECT_NE(typo[0].find("models[0].pricing"), std::string::npos) << typo[0];
}

TEST(ConfigBudgets, ChangesAreListedByAReloadWithoutARestart) {
  auto before = load_config_text(with_key(kBase), "t.yaml");
  auto after = load_config_text(with_key(edited("limit: 100, unit: usd", "limit: 200, unit: usd")), "t.yaml");
  ASSERT_TRUE(before && after);
  std::string priced = edited("output_per_million: 1.5", "output_per_million: 2");
  auto repriced = load_config_text(with_key(priced), "t.yaml");
  ASSERT_TRUE(repriced);
  const ConfigDiff budgets = diff_configs(*before, *after);
  ASSERT_EQ(budgets.lines.size(), 1u);
  EXPECT_NE(budgets.lines[0].find("budgets $100.00 per month (soft 90%), "), std::string::npos) << budgets.lines[0];
  EXPECT_NE(budgets.lines[0].find("-> $200.00 per month (soft 90%), "), std::string::npos) << budgets.lines[0];
  const ConfigDiff prices = diff_configs(*before, *repriced);
  ASSERT_EQ(prices.lines.size(), 1u);
  EXPECT_NE(prices.lines[0].find("pricing $0.5/$1.5 per million input/output tokens -> $0.5/$2 per million"),
            std::string::npos)
      << prices.lines[0];
  EXPECT_TRUE(needs_restart(*before, *after).empty());
  EXPECT_TRUE(needs_restart(*before, *repriced).empty());
}

TEST(BudgetText, Amounts) {
  EXPECT_EQ(amount_text(BudgetUnit::kUsd, 12.5), "$12.50");
  EXPECT_EQ(amount_text(BudgetUnit::kUsd, 0), "$0.00");
  EXPECT_EQ(amount_text(BudgetUnit::kUsd, 0.000375), "$0.000375");
  EXPECT_EQ(amount_text(BudgetUnit::kTokens, 120000), "120000 tokens");
}

}  // namespace
}  // namespace sluice::config
