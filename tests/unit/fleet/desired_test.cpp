// The desired state from a config: the inventory (declared, or one local
// node sized for every policy), each managed model's policy, tenant quotas,
// and whole GPUs for a model of unknown size.
#include "sluice/fleet/desired.h"

#include <gtest/gtest.h>

namespace sluice::fleet {
namespace {

config::Model sim_model(std::string name, int instances) {
  config::Model m;
  m.name = std::move(name);
  m.source = config::ModelSource::kSim;
  m.sim.instances = instances;
  return m;
}

TEST(FleetDesired, DeclaredInventoryAndPolicies) {
  config::Config cfg;
  cfg.fleet.zones = {{"z", {{"n1", 2, 80}, {"n2", 1, 141}}}};
  cfg.fleet.overcommit = 1.5;
  auto m = sim_model("m", 2);
  m.gpu = {.count = 2, .weights_gb = 0, .kv_cache_gb = 40};
  m.recovery.standby = {.hot = 1, .warm = 2};
  m.demand.max_hot = 3;
  m.dedicated_to = "acme";
  cfg.models.push_back(m);
  config::Model st;
  st.name = "s";
  st.source = config::ModelSource::kStatic;
  cfg.models.push_back(st);
  config::Tenant t;
  t.id = "acme";
  t.gpu_quota = {.max_gpus = 4};
  cfg.tenants.push_back(t);

  const Desired d = desired_from(cfg, [](const config::Model&) { return 16.0; });
  ASSERT_EQ(d.inventory.size(), 3u);
  EXPECT_EQ(d.inventory[2].id, "n2/gpu0");
  EXPECT_EQ(d.inventory[2].memory_gb, 141);
  EXPECT_EQ(d.overcommit, 1.5);
  ASSERT_EQ(d.models.size(), 2u);
  EXPECT_EQ(d.models[0].hot_min, 2);
  EXPECT_EQ(d.models[0].hot_max, 3);
  EXPECT_EQ(d.models[0].gpus, 2);
  EXPECT_DOUBLE_EQ(d.models[0].gb_per_gpu, (16.0 + 40.0) / 2);
  EXPECT_EQ(d.models[0].standby.warm, 2);
  EXPECT_EQ(d.models[0].tenant, "acme");
  EXPECT_EQ(d.models[1].hot_min, 0) << "static endpoints are not managed";
  ASSERT_EQ(d.quotas.size(), 1u);
  EXPECT_EQ(d.quotas[0].max_gpus, 4);
}

TEST(FleetDesired, LocalInventoryHasAGpuPerPossibleInstanceAndUnknownSizesTakeWholeGpus) {
  config::Config cfg;
  auto m = sim_model("m", 2);
  m.recovery.standby = {.warm = 1};
  cfg.models.push_back(m);
  const Desired d = desired_from(cfg, [](const config::Model&) { return 0.0; });
  EXPECT_EQ(d.inventory.size(), 6u);  // (2 serving + 1 warm) × 2 for replacements under way
  EXPECT_EQ(d.inventory[0].zone, "local");
  EXPECT_EQ(d.inventory[0].memory_gb, 80);
  EXPECT_EQ(d.models[0].gb_per_gpu, 80) << "unknown size: a whole GPU";
}

}  // namespace
}  // namespace sluice::fleet
