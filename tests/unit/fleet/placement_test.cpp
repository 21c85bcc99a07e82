// Placement scoring: weights already on the GPU first, then spreading a
// model's replicas over nodes and zones, then preferred zones, then free
// memory; overcommit counts only awake instances against GPU memory; tensor
// parallel stays on one node; and an unplaceable request says why.
#include "sluice/fleet/placement.h"

#include <gtest/gtest.h>

namespace sluice::fleet {
namespace {

/// Two zones, two nodes each, two 80 GB GPUs per node, all empty.
std::vector<GpuView> pool() {
  std::vector<GpuView> out;
  for (const char* zone : {"a", "b"}) {
    for (int n = 0; n < 2; ++n) {
      const std::string node = std::string(zone) + std::to_string(n);
      for (int g = 0; g < 2; ++g) {
        out.push_back(GpuView{.id = node + "/gpu" + std::to_string(g), .node = node, .zone = zone, .memory_gb = 80});
      }
    }
  }
  return out;
}

std::string ids(const std::vector<GpuView>& inv, const Placement& p) {
  std::string out;
  for (std::size_t i : p.gpus) out += (out.empty() ? "" : ",") + inv[i].id;
  return out;
}

TEST(FleetPlacement, EmptyPoolTakesTheFirstNode) {
  const auto inv = pool();
  const auto p = place(inv, {.model = "m", .gb_per_gpu = 40});
  ASSERT_TRUE(p) << p.error();
  EXPECT_EQ(ids(inv, *p), "a0/gpu0");
  EXPECT_FALSE(p->weights_present);
}

TEST(FleetPlacement, WeightsAlreadyThereBeatMoreFreeMemory) {
  auto inv = pool();
  inv[5].awake_gb = 30;  // b0/gpu1: busier, but holds m's weights
  inv[5].weights = {"m"};
  for (auto& g : inv) g.replicas.clear();
  const auto p = place(inv, {.model = "m", .gb_per_gpu = 40});
  ASSERT_TRUE(p);
  EXPECT_EQ(ids(inv, *p), "b0/gpu1");
  EXPECT_TRUE(p->weights_present);
}

TEST(FleetPlacement, ReplicasSpreadOverNodesThenZones) {
  auto inv = pool();
  inv[0].replicas = {"m"};  // a0 has one
  auto p = place(inv, {.model = "m", .gb_per_gpu = 10});
  ASSERT_TRUE(p);
  EXPECT_EQ(p->zone, "b") << "a new zone beats a new node in the same zone";
  inv[4].replicas = {"m"};  // and b0
  p = place(inv, {.model = "m", .gb_per_gpu = 10});
  ASSERT_TRUE(p);
  EXPECT_EQ(p->node, "a1") << "every zone has one: the first node without one";
}

TEST(FleetPlacement, PreferredZoneWinsWhenSpreadIsEqual) {
  const auto inv = pool();
  const auto p = place(inv, {.model = "m", .gb_per_gpu = 10, .preferred_zones = {"b"}});
  ASSERT_TRUE(p);
  EXPECT_EQ(p->zone, "b");
}

TEST(FleetPlacement, MoreFreeMemoryWinsLast) {
  auto inv = pool();
  inv[0].awake_gb = 50;
  inv[1].awake_gb = 20;
  for (std::size_t i = 2; i < inv.size(); ++i) inv[i].awake_gb = 60;
  const auto p = place(inv, {.model = "m", .gb_per_gpu = 10});
  ASSERT_TRUE(p);
  EXPECT_EQ(ids(inv, *p), "a0/gpu1");
}

TEST(FleetPlacement, OvercommitCountsOnlyAwakeInstancesAgainstGpuMemory) {
  std::vector<GpuView> inv = {{.id = "n/gpu0", .node = "n", .zone = "z", .memory_gb = 80, .awake_gb = 0, .asleep_gb = 60}};
  // Without overcommit, 60 GB promised to a sleeping instance leaves 20.
  EXPECT_FALSE(place(inv, {.model = "m", .gb_per_gpu = 40}, 1.0));
  // With 1.5×, 120 GB may be promised: 60 asleep + 40 awake fits.
  EXPECT_TRUE(place(inv, {.model = "m", .gb_per_gpu = 40}, 1.5));
  // Awake memory is physical: 50 awake + 40 never fits 80, whatever the ratio.
  inv[0].awake_gb = 50;
  inv[0].asleep_gb = 0;
  EXPECT_FALSE(place(inv, {.model = "m", .gb_per_gpu = 40}, 4.0));
}

TEST(FleetPlacement, TensorParallelStaysOnOneNode) {
  auto inv = pool();
  inv[1].awake_gb = 70;  // a0 has one GPU free enough
  inv[3].awake_gb = 70;  // a1 too
  const auto p = place(inv, {.model = "big", .gb_per_gpu = 40, .gpus = 2});
  ASSERT_TRUE(p);
  EXPECT_EQ(ids(inv, *p), "b0/gpu0,b0/gpu1");
}

TEST(FleetPlacement, UnplaceableSaysWhy) {
  auto inv = pool();
  for (auto& g : inv) g.awake_gb = 70;
  inv[2].awake_gb = 0;  // a1/gpu0: one GPU with room
  const auto tp = place(inv, {.model = "big", .gb_per_gpu = 40, .gpus = 2});
  ASSERT_FALSE(tp);
  EXPECT_EQ(tp.error(), "big needs 2 GPUs with 40.0 GB free on one node (overcommit 1.00); the most on one node is 1 on a1");
  const auto huge = place(inv, {.model = "huge", .gb_per_gpu = 90});
  ASSERT_FALSE(huge);
  EXPECT_EQ(huge.error(), "huge needs 1 GPU with 90.0 GB free on one node (overcommit 1.00); no GPU has that much free");
  EXPECT_EQ(place({}, {.model = "m", .gb_per_gpu = 1}).error(), "the inventory has no GPUs");
}

}  // namespace
}  // namespace sluice::fleet
