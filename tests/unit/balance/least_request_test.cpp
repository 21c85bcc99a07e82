#include "sluice/balance/least_request.h"

#include <gtest/gtest.h>

namespace sluice::balance {
namespace {

std::vector<std::shared_ptr<Instance>> make(std::initializer_list<std::int64_t> loads) {
  std::vector<std::shared_ptr<Instance>> out;
  for (auto l : loads) {
    auto i = std::make_shared<Instance>();
    i->outstanding = l;
    out.push_back(i);
  }
  return out;
}

TEST(BalanceLeastRequest, NoneAvailable) {
  EXPECT_EQ(pick_least_request({}, 1, 2), -1);
  auto v = make({0, 0});
  v[0]->available = false;
  v[1]->available = false;
  EXPECT_EQ(pick_least_request(v, 1, 2), -1);
}

TEST(BalanceLeastRequest, SingleAvailableIsAlwaysPicked) {
  auto v = make({9, 0, 5});
  v[1]->available = false;
  v[2]->available = false;
  for (std::uint64_t r = 0; r < 10; ++r) EXPECT_EQ(pick_least_request(v, r, r * 7), 0);
}

TEST(BalanceLeastRequest, PicksTheLessLoadedOfTwoDistinctSamples) {
  auto v = make({5, 1, 3});
  // r1 % 3 = 0 (load 5), r2 % 2 = 0 → 0, bumped to 1 (load 1): picks 1.
  EXPECT_EQ(pick_least_request(v, 0, 0), 1);
  // r1 % 3 = 2 (load 3), r2 % 2 = 0 → 0 (load 5): picks 2.
  EXPECT_EQ(pick_least_request(v, 2, 0), 2);
  // r1 % 3 = 1 (load 1), r2 % 2 = 1 → bumped to 2 (load 3): picks 1.
  EXPECT_EQ(pick_least_request(v, 1, 1), 1);
}

TEST(BalanceLeastRequest, NeverPicksTheMostLoadedWhenThereAreThree) {
  auto v = make({100, 1, 2});
  for (std::uint64_t a = 0; a < 30; ++a)
    for (std::uint64_t b = 0; b < 30; ++b) EXPECT_NE(pick_least_request(v, a, b), 0);
}

TEST(BalanceRoutingTable, WithoutUnavailableKeepsSharedInstances) {
  RoutingTable t;
  ModelRoute r;
  r.name = "m";
  r.instances = make({0, 0, 0});
  t.models.push_back(r);
  t.index();
  t.models[0].instances[1]->available = false;
  auto next = without_unavailable(t);
  ASSERT_NE(next->find("m"), nullptr);
  ASSERT_EQ(next->find("m")->instances.size(), 2u);
  EXPECT_EQ(next->find("m")->instances[0].get(), t.models[0].instances[0].get());
  EXPECT_EQ(next->find("m")->instances[1].get(), t.models[0].instances[2].get());
  EXPECT_EQ(next->find("x"), nullptr);
}

}  // namespace
}  // namespace sluice::balance
