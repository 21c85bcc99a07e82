// cluster.leader_lease (one fleet leader): default, value, and the error
// when it is shorter than three sync intervals.
#include <gtest/gtest.h>

#include "config_test_util.h"

namespace sluice::config {
namespace {

using testing::errors_of;
using testing::kOneStaticModel;
using testing::with_key;

TEST(ConfigLeaderLease, DefaultAndValue) {
  auto plain = load_config_text(with_key(std::string(kOneStaticModel) + "cluster: {redis: \"redis://127.0.0.1:6379\"}\n"),
                                "t.yaml");
  ASSERT_TRUE(plain) << testing::render(plain.error());
  EXPECT_EQ(plain->cluster.leader_lease, std::chrono::seconds(2));
  auto set = load_config_text(
      with_key(std::string(kOneStaticModel) + "cluster: {redis: \"redis://127.0.0.1:6379\", leader_lease: 500ms}\n"), "t.yaml");
  ASSERT_TRUE(set) << testing::render(set.error());
  EXPECT_EQ(set->cluster.leader_lease, std::chrono::milliseconds(500));
}

TEST(ConfigLeaderLease, ALeaseShorterThanThreeSyncIntervalsIsAnErrorAtItsLine) {
  const auto errors = errors_of(std::string(kOneStaticModel) +
                                "cluster:\n"
                                "  redis: redis://127.0.0.1:6379\n"
                                "  sync_interval: 200ms\n"
                                "  leader_lease: 500ms\n");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].find("t.yaml:11:"), std::string::npos) << errors[0];
  EXPECT_NE(errors[0].find("cluster.leader_lease: leader_lease must be at least three sync_intervals"),
            std::string::npos)
      << errors[0];
}

}  // namespace
}  // namespace sluice::config
