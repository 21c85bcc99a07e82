// cluster.fairness_sync_interval and cluster.fairness_slack (fleet-wide
// fairness): defaults, values, and errors at file:line.
#include <gtest/gtest.h>

#include "config_test_util.h"

namespace sluice::config {
namespace {

using testing::errors_of;
using testing::kOneStaticModel;
using testing::with_key;

TEST(ConfigFairness, DefaultsAndValues) {
  auto plain = load_config_text(with_key(std::string(kOneStaticModel) + "cluster: {redis: \"redis://127.0.0.1:6379\"}\n"),
                                "t.yaml");
  ASSERT_TRUE(plain) << testing::render(plain.error());
  EXPECT_EQ(plain->cluster.fairness_sync_interval, std::chrono::milliseconds(20));
  EXPECT_DOUBLE_EQ(plain->cluster.fairness_slack, 1000);
  auto set = load_config_text(
      with_key(std::string(kOneStaticModel) +
               "cluster: {redis: \"redis://127.0.0.1:6379\", fairness_sync_interval: 5ms, fairness_slack: 250}\n"),
      "t.yaml");
  ASSERT_TRUE(set) << testing::render(set.error());
  EXPECT_EQ(set->cluster.fairness_sync_interval, std::chrono::milliseconds(5));
  EXPECT_DOUBLE_EQ(set->cluster.fairness_slack, 250);
}

TEST(ConfigFairness, BadValuesAreErrorsAtTheirLine) {
  const auto errors = errors_of(std::string(kOneStaticModel) +
                                "cluster:\n"
                                "  redis: redis://127.0.0.1:6379\n"
                                "  fairness_slack: -3\n"
                                "  fairness_sync_interval: soon\n");
  ASSERT_EQ(errors.size(), 2u);
  const std::string all = errors[0] + "\n" + errors[1];
  EXPECT_NE(all.find("t.yaml:10:"), std::string::npos) << all;
  EXPECT_NE(all.find("cluster.fairness_slack: expected a number of tokens >= 0"), std::string::npos) << all;
  EXPECT_NE(all.find("t.yaml:11:"), std::string::npos) << all;
  EXPECT_NE(all.find("cluster.fairness_sync_interval"), std::string::npos) << all;
}

}  // namespace
}  // namespace sluice::config
