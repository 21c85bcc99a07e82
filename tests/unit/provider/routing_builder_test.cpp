// build_routing_table with a previous table (a config reload): static
// endpoints that stay keep their Instance; changed ones start afresh with the
// old health; removed ones become unavailable; new ones get a free id.
#include "sluice/provider/routing_builder.h"

#include <gtest/gtest.h>

namespace sluice::provider {
namespace {

config::Config static_config(std::vector<config::StaticEndpoint> endpoints) {
  config::Config cfg;
  config::Model m;
  m.name = "st";
  m.source = config::ModelSource::kStatic;
  m.static_source.endpoints = std::move(endpoints);
  cfg.models.push_back(m);
  return cfg;
}

TEST(ProviderRoutingBuilder, AReloadKeepsTheInstancesOfEndpointsThatStay) {
  const ServingLookup fleet;  // no fleet-managed models here
  const auto first = build_routing_table(
      static_config({{"http://10.0.0.1:8000"}, {"http://10.0.0.2:8000"}, {"http://10.0.0.3:8000/p"}}), fleet);
  const auto& before = first->models[0].instances;
  ASSERT_EQ(before.size(), 3u);
  before[1]->check_healthy.store(true);
  before[1]->outstanding.store(4);

  // 1 stays, 2 gets weight 3, 3 goes, 4 comes.
  const auto next = build_routing_table(
      static_config({{"http://10.0.0.4:8000"}, {"http://10.0.0.2:8000", 3}, {"http://10.0.0.1:8000"}}), fleet,
      first.get());
  const auto& after = next->models[0].instances;
  ASSERT_EQ(after.size(), 3u);
  EXPECT_EQ(after[2], before[0]);  // same Instance, moved
  EXPECT_TRUE(after[2]->available.load());

  EXPECT_NE(after[1], before[1]);  // new weight: a new Instance …
  EXPECT_EQ(after[1]->weight, 3u);
  EXPECT_EQ(after[1]->id.str(), "st/1");               // … with the old id
  EXPECT_TRUE(after[1]->check_healthy.load());         // and health verdict
  EXPECT_EQ(after[1]->outstanding.load(), 0);          // the old one's requests finish there
  EXPECT_FALSE(before[1]->available.load());

  EXPECT_FALSE(before[2]->available.load());  // removed
  EXPECT_EQ(after[0]->host, "10.0.0.4");
  EXPECT_EQ(after[0]->id.str(), "st/2");  // the smallest id nobody in the table has
  EXPECT_FALSE(after[0]->check_healthy.load());  // checks on: joins at its first passing check
  EXPECT_NE(next->find("st"), nullptr);
}

TEST(ProviderRoutingBuilder, WithoutAPreviousTableEveryInstanceIsNew) {
  const ServingLookup fleet;  // no fleet-managed models here
  const auto cfg = static_config({{"http://10.0.0.1:8000"}});
  const auto a = build_routing_table(cfg, fleet);
  const auto b = build_routing_table(cfg, fleet);
  EXPECT_NE(a->models[0].instances[0], b->models[0].instances[0]);
  EXPECT_TRUE(a->models[0].instances[0]->available.load());
  const auto c = build_routing_table(cfg, fleet, b.get());
  EXPECT_EQ(c->models[0].instances[0], b->models[0].instances[0]);
}

}  // namespace
}  // namespace sluice::provider
