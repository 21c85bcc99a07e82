// Provider actions fenced by the fleet lease: refused once the fence fails.
#include "sluice/provider/fenced_provider.h"

#include <gtest/gtest.h>

namespace sluice::provider {
namespace {

class CountingProvider final : public Provider {
 public:
  std::expected<Launched, std::string> launch(const LaunchSpec&) override {
    ++launches;
    return Launched{"127.0.0.1", 1, 2};
  }
  void stop(const std::string&) override { ++stops; }
  void kill(const std::string&) override { ++kills; }
  std::vector<Exit> reap() override { return {}; }
  void stop_all(core::Duration) override { ++stop_alls; }
  int launches = 0, stops = 0, kills = 0, stop_alls = 0;
};

TEST(FencedProviderTest, ActionsGoThroughOnlyWhileTheFenceHolds) {
  CountingProvider inner;
  bool holds = true;
  FencedProvider fenced(inner, [&]() -> std::expected<void, std::string> {
    if (holds) return {};
    return std::unexpected(std::string("epoch 3 is no longer the leader's"));
  });
  LaunchSpec spec;
  spec.instance_id = "small/0";
  ASSERT_TRUE(fenced.launch(spec));
  fenced.stop("small/0");
  fenced.kill("small/0");
  EXPECT_EQ(inner.launches, 1);
  EXPECT_EQ(inner.stops, 1);
  EXPECT_EQ(inner.kills, 1);

  holds = false;  // another replica took the lease
  auto refused = fenced.launch(spec);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().find("fenced"), std::string::npos);
  fenced.stop("small/0");
  fenced.kill("small/0");
  EXPECT_EQ(inner.launches, 1);
  EXPECT_EQ(inner.stops, 1);
  EXPECT_EQ(inner.kills, 1);
  EXPECT_EQ(fenced.refused(), 3u);
  fenced.stop_all(core::Duration{});  // a local shutdown is not fenced
  EXPECT_EQ(inner.stop_alls, 1);
}

TEST(FencedProviderTest, WithoutAFenceEverythingGoesThrough) {
  CountingProvider inner;
  FencedProvider alone(inner, {});
  ASSERT_TRUE(alone.launch(LaunchSpec{}));
  alone.kill("x");
  EXPECT_EQ(inner.launches, 1);
  EXPECT_EQ(inner.kills, 1);
  EXPECT_EQ(alone.refused(), 0u);
}

}  // namespace
}  // namespace sluice::provider
