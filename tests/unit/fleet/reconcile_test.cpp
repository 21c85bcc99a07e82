// plan(desired, observed, now) -> actions, table by table: each case gives
// a pool, the instances observed, and the exact actions expected, written
// as "kind model/instance@gpus (role)" lines.
#include "sluice/fleet/reconcile.h"

#include <gtest/gtest.h>

#include <fmt/format.h>

namespace sluice::fleet {
namespace {

using namespace std::chrono_literals;
const core::TimePoint t0{} ;

/// Zones a and b; nodes a1, a2, b1; two 80 GB GPUs each (indices 0..5).
std::vector<GpuSlot> pool() {
  std::vector<GpuSlot> out;
  for (auto [node, zone] : {std::pair{"a1", "a"}, {"a2", "a"}, {"b1", "b"}}) {
    for (int g = 0; g < 2; ++g) out.push_back({fmt::format("{}/gpu{}", node, g), node, zone, 80});
  }
  return out;
}

ModelPolicy model(std::string name, int hot_min, config::StandbyCounts standby = {}) {
  ModelPolicy m;
  m.name = std::move(name);
  m.hot_min = hot_min;
  m.hot_max = hot_min;
  m.standby = standby;
  m.gb_per_gpu = 50;
  m.preferred_zones = {"a"};
  m.standby_zone = "b";
  return m;
}

InstanceView inst(std::string id, InstanceState state, Role role, std::vector<std::size_t> gpus,
                  std::size_t model = 0) {
  return {.id = std::move(id), .model = model, .state = state, .role = role, .gpus = std::move(gpus),
          .last_active = t0};
}

std::string render(const Desired& d, const Plan& p) {
  std::string out;
  for (const Action& a : p.actions) {
    out += fmt::format("{} {}", to_string(a.kind), a.instance.empty() ? d.models[a.model].name + "/new" : a.instance);
    if (!a.gpus.empty()) {
      out += "@";
      for (std::size_t i = 0; i < a.gpus.size(); ++i) out += (i ? "," : "") + d.inventory[a.gpus[i]].id;
    }
    if (a.kind == ActionKind::kStart || a.kind == ActionKind::kReserve) {
      out += fmt::format(" ({}{})", to_string(a.role), a.sleep_when_loaded ? ", then sleep" : "");
    }
    out += "\n";
  }
  return out;
}

constexpr auto kHot = InstanceState::kHot;
constexpr auto kWarm = InstanceState::kWarm;
constexpr auto kCold = InstanceState::kCold;
constexpr auto kServing = Role::kServing;
constexpr auto kStandby = Role::kStandby;

TEST(FleetReconcile, EmptyPoolStartsServingInPreferredZoneThenStandbysInStandbyZone) {
  Desired d{.inventory = pool(), .models = {model("m", 2, {.hot = 1, .warm = 1, .cold = 1})}};
  const Plan first = plan(d, {}, t0);
  // Serving first, spread over the preferred zone's nodes; standbys wait.
  EXPECT_EQ(render(d, first),
            "start m/new@a1/gpu0 (serving)\n"
            "start m/new@a2/gpu0 (serving)\n");
  EXPECT_TRUE(first.unplaced.empty());
  // Once they are under way (counted as serving), the standbys follow: hot
  // and warm in the standby zone, the cold reservation where there is room.
  auto loading = [](std::string id, std::size_t gpu) {
    return inst(std::move(id), InstanceState::kLoading, kServing, {gpu});
  };
  const Observed o{.instances = {loading("m/0", 0), loading("m/1", 2)}};
  EXPECT_EQ(render(d, plan(d, o, t0)),
            "start m/new@b1/gpu0 (standby)\n"
            "start m/new@b1/gpu1 (standby, then sleep)\n"
            "reserve m/new@a1/gpu1 (standby)\n");
}

TEST(FleetReconcile, SettledFleetNeedsNothing) {
  Desired d{.inventory = pool(), .models = {model("m", 1, {.hot = 1, .warm = 1})}};
  Observed o{.instances = {inst("m/0", kHot, kServing, {0}), inst("m/1", kHot, kStandby, {4}),
                           inst("m/2", kWarm, kStandby, {5})}};
  EXPECT_EQ(render(d, plan(d, o, t0)), "");
}

struct FailoverCase {
  std::string name;
  std::vector<InstanceView> instances;
  std::vector<std::string> down_nodes, down_zones;
  std::string expected;
};

class FleetFailover : public ::testing::TestWithParam<FailoverCase> {};

TEST_P(FleetFailover, PromotesTheBestStandby) {
  const FailoverCase& c = GetParam();
  Desired d{.inventory = pool(), .models = {model("m", 1, {.hot = 1, .warm = 1, .cold = 1})}};
  Observed o{.instances = c.instances, .down_nodes = c.down_nodes, .down_zones = c.down_zones};
  const Plan p = plan(d, o, t0);
  std::string unplaced;
  for (const auto& line : p.unplaced) unplaced += line + "\n";
  EXPECT_EQ(render(d, p), c.expected) << unplaced;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, FleetFailover,
    ::testing::Values(
        FailoverCase{"exited_hot_standby_promoted",
                     {inst("m/0", InstanceState::kFailed, kServing, {0}), inst("m/1", kHot, kStandby, {4}),
                      inst("m/2", kWarm, kStandby, {5}), inst("m/3", kCold, kStandby, {2})},
                     {}, {},
                     "forget m/0\n"
                     "promote m/1\n"
                     // m/1 serves in b, outside the preferred zone: a new serving instance
                     // starts in a (a2 has the weights: m/3's reservation) and takes over;
                     // m/1 then is the hot standby again
                     "start m/new@a2/gpu0 (serving)\n"},
        FailoverCase{"unhealthy_serving_fails_then_hot_promoted",
                     {[] { auto i = inst("m/0", kHot, kServing, {0}); i.healthy = false; return i; }(),
                      inst("m/1", kHot, kStandby, {4}), inst("m/2", kWarm, kStandby, {5}),
                      inst("m/3", kCold, kStandby, {2})},
                     {}, {},
                     "fail m/0\n"
                     "promote m/1\n"
                     "start m/new@a2/gpu0 (serving)\n"},
        FailoverCase{"no_hot_standby_warm_wakes",
                     {inst("m/0", InstanceState::kFailed, kServing, {0}), inst("m/2", kWarm, kStandby, {5}),
                      inst("m/3", kCold, kStandby, {2})},
                     {}, {},
                     "forget m/0\n"
                     "wake m/2\n"
                     "start m/new@a2/gpu0 (standby)\n"            // weights there first
                     "start m/new@a1/gpu0 (standby, then sleep)\n"},  // then a node without a replica
        FailoverCase{"only_cold_left_starts_it_where_its_weights_are",
                     {inst("m/0", InstanceState::kFailed, kServing, {0}), inst("m/3", kCold, kStandby, {2})},
                     {}, {},
                     "forget m/0\n"
                     "start m/3@a2/gpu0 (serving)\n"
                     "start m/new@b1/gpu0 (standby)\n"
                     "start m/new@a1/gpu0 (standby, then sleep)\n"
                     "reserve m/new@b1/gpu1 (standby)\n"},
        FailoverCase{"nothing_left_emergency_cold_start",
                     {inst("m/0", InstanceState::kFailed, kServing, {0})},
                     {}, {},
                     "forget m/0\n"
                     // standbys follow once it is under way
                     "start m/new@a1/gpu0 (serving)\n"},
        FailoverCase{"node_down_fails_its_instances",
                     {inst("m/0", kHot, kServing, {0}), inst("m/1", kHot, kStandby, {4}),
                      inst("m/2", kWarm, kStandby, {5}), inst("m/3", kCold, kStandby, {1})},
                     {"a1"}, {},
                     "fail m/0\n"
                     "forget m/3\n"
                     "promote m/1\n"
                     // the move back to a; the cold reservation follows once it is under way
                     "start m/new@a2/gpu0 (serving)\n"},
        FailoverCase{"zone_down_moves_serving_to_standby_zone",
                     {inst("m/0", kHot, kServing, {0}), inst("m/1", kHot, kStandby, {2}),
                      inst("m/2", kWarm, kStandby, {4})},
                     {}, {"a"},
                     "fail m/0\n"
                     "fail m/1\n"
                     "wake m/2\n"
                     // b1 is the only zone left: a hot standby fits, nothing more
                     "start m/new@b1/gpu1 (standby)\n"}),
    [](const auto& info) { return info.param.name; });

TEST(FleetReconcile, BusyInstancesAreCountedWhereTheyAreHeading) {
  Desired d{.inventory = pool(), .models = {model("m", 1, {.warm = 1})}};
  auto waking = inst("m/0", kWarm, kServing, {0});
  waking.busy = true;
  auto loading = inst("m/1", InstanceState::kLoading, kStandby, {4});
  loading.sleep_when_loaded = true;
  Observed o{.instances = {waking, loading}};
  EXPECT_EQ(render(d, plan(d, o, t0)), "");
}

TEST(FleetReconcile, QueueWakesAWarmStandbyUpToTheMaximum) {
  auto m = model("m", 1, {.warm = 1});
  m.hot_max = 2;
  m.wake_queue_depth = 8;
  Desired d{.inventory = pool(), .models = {m}};
  Observed o{.instances = {inst("m/0", kHot, kServing, {0}), inst("m/1", kWarm, kStandby, {1})}, .queued = {8}};
  EXPECT_EQ(render(d, plan(d, o, t0)),
            "wake m/1\n"
            "start m/new@b1/gpu0 (standby, then sleep)\n");
  o.queued = {7};
  EXPECT_EQ(render(d, plan(d, o, t0)), "");
  // At the maximum: no more.
  o.instances[1] = inst("m/1", kHot, kServing, {1});
  o.instances.push_back(inst("m/2", kWarm, kStandby, {4}));
  o.queued = {100};
  EXPECT_EQ(render(d, plan(d, o, t0)), "");
}

TEST(FleetReconcile, IdleServingBeyondTheMinimumSleeps) {
  auto m = model("m", 1);
  m.hot_max = 3;
  m.idle_sleep = 60s;
  Desired d{.inventory = pool(), .models = {m}};
  auto busy = inst("m/0", kHot, kServing, {0});
  busy.in_flight = 2;
  auto idle_long = inst("m/1", kHot, kServing, {2});
  auto idle_short = inst("m/2", kHot, kServing, {4});
  idle_short.last_active = t0 + 30s;
  Observed o{.instances = {busy, idle_long, idle_short}};
  EXPECT_EQ(render(d, plan(d, o, t0 + 60s)), "sleep m/1\n");
  EXPECT_EQ(render(d, plan(d, o, t0 + 59s)), "");
  // Never below the minimum, even when all are idle.
  o.instances[0].in_flight = 0;
  EXPECT_EQ(render(d, plan(d, o, t0 + 10min)), "sleep m/0\nsleep m/1\n");
}

TEST(FleetReconcile, ExtraHotStandbySleepsAndExtraColdIsForgotten) {
  Desired d{.inventory = pool(), .models = {model("m", 1, {.hot = 1})}};
  Observed o{.instances = {inst("m/0", kHot, kServing, {0}), inst("m/1", kHot, kStandby, {4}),
                           inst("m/2", kHot, kStandby, {5}), inst("m/3", kCold, kStandby, {2})}};
  EXPECT_EQ(render(d, plan(d, o, t0)), "sleep m/1\nforget m/3\n");
}

TEST(FleetReconcile, CriticalModelsArePlacedFirstAndTheRestIsReported) {
  // One 80 GB GPU: room for one 50 GB instance.
  Desired d{.inventory = {{"n/gpu0", "n", "z", 80}}, .models = {model("low", 1), model("crit", 1)}};
  d.models[0].preferred_zones = d.models[1].preferred_zones = {};
  d.models[0].standby_zone = d.models[1].standby_zone = "";
  d.models[1].priority = config::DrPriority::kCritical;
  const Plan p = plan(d, {}, t0);
  EXPECT_EQ(render(d, p), "start crit/new@n/gpu0 (serving)\n");
  ASSERT_EQ(p.unplaced.size(), 1u);
  EXPECT_EQ(p.unplaced[0],
            "low: cannot place a serving instance: low needs 1 GPU with 50.0 GB free on one node (overcommit 1.00); "
            "no GPU has that much free");
}

TEST(FleetReconcile, OvercommitLetsWarmStandbysShareAGpu) {
  Desired d{.inventory = {{"n/gpu0", "n", "z", 80}, {"n/gpu1", "n", "z", 80}},
            .models = {model("m", 1, {.warm = 2})}};
  d.models[0].preferred_zones = {};
  d.models[0].standby_zone = "";
  Observed o{.instances = {inst("m/0", kHot, kServing, {0}), inst("m/1", kWarm, kStandby, {1})}};
  EXPECT_EQ(render(d, plan(d, o, t0)), "");  // wait: policy wants 2 warm; only one fits at 1.0
  d.overcommit = 2.0;
  EXPECT_EQ(render(d, plan(d, o, t0)), "start m/new@n/gpu1 (standby, then sleep)\n");
}

TEST(FleetReconcile, TenantGpuQuotaCapsDedicatedInstances) {
  auto m = model("m", 2);
  m.tenant = "acme";
  m.preferred_zones = {};
  m.standby_zone = "";
  Desired d{.inventory = pool(), .models = {m}, .quotas = {{"acme", 1, 0}}};
  const Plan p = plan(d, {}, t0);
  EXPECT_EQ(render(d, p), "start m/new@a1/gpu0 (serving)\n");
  ASSERT_EQ(p.unplaced.size(), 1u);
  EXPECT_EQ(p.unplaced[0], "m: cannot place a serving instance: tenant acme's GPU quota (1 GPUs) is used up (1 held)");
}

TEST(FleetReconcile, SamePlanForTheSameInputs) {
  Desired d{.inventory = pool(), .models = {model("m", 2, {.hot = 1, .warm = 1, .cold = 1}), model("n", 1)}};
  Observed o{.instances = {inst("m/0", InstanceState::kFailed, kServing, {0}), inst("n/0", kHot, kServing, {1}, 1)}};
  EXPECT_EQ(render(d, plan(d, o, t0)), render(d, plan(d, o, t0)));
}

TEST(FleetReconcile, AFailoverOutsideThePreferredZoneMovesServingBackAndKeepsTheStandbyApart) {
  // Node a1 fails: the hot standby in b serves at once, and in the same pass
  // a new serving instance starts in a (a2) to take over from it, so that b
  // holds standbys again rather than serving and standbys side by side.
  Desired d{.inventory = pool(), .models = {model("m", 1, {.hot = 1})}};
  Observed o{.instances = {inst("m/0", kHot, kServing, {0}), inst("m/1", kHot, kStandby, {4})},
             .down_nodes = {"a1"}};
  const Plan p = plan(d, o, t0);
  EXPECT_EQ(render(d, p),
            "fail m/0\n"
            "promote m/1\n"
            "start m/new@a2/gpu0 (serving)\n");  // no new hot standby: m/1 becomes it
  ASSERT_EQ(p.actions.size(), 3u);
  EXPECT_EQ(p.actions[2].takes_over_from, "m/1");
}

TEST(FleetReconcile, TwoServingInstancesOneCrashedMovesBackToo) {
  // The drill's fleet: zone a (a1, a2) and b (b1, b2), two GPUs each; two
  // serving in a, a hot and a warm standby in b; each instance a whole GPU.
  std::vector<GpuSlot> four;
  for (auto [node, zone] : {std::pair{"a1", "a"}, {"a2", "a"}, {"b1", "b"}, {"b2", "b"}}) {
    for (int g = 0; g < 2; ++g) four.push_back({fmt::format("{}/gpu{}", node, g), node, zone, 80});
  }
  auto m = model("m", 2, {.hot = 1, .warm = 1});
  m.gb_per_gpu = 56;
  Desired d{.inventory = four, .models = {m}};
  // Small instances: the warm standby's GPU in b (its weights there) would
  // be the first choice anywhere else; the move back goes to a all the same.
  d.models[0].gb_per_gpu = 16;
  Observed o{.instances = {inst("m/0", InstanceState::kFailed, kServing, {0}), inst("m/1", kHot, kServing, {2}),
                           inst("m/2", kHot, kStandby, {4}), inst("m/3", kWarm, kStandby, {6})}};
  const Plan p = plan(d, o, t0);
  EXPECT_EQ(render(d, p),
            "forget m/0\n"
            "promote m/2\n"
            "start m/new@a1/gpu0 (serving)\n");
}

TEST(FleetReconcile, AHandoverUnderWayCountsTheOldInstanceAsTheHotStandby) {
  Desired d{.inventory = pool(), .models = {model("m", 1, {.hot = 1})}};
  auto old = inst("m/1", kHot, kServing, {4});
  old.handing_over = true;
  auto loading = inst("m/2", InstanceState::kLoading, kServing, {2});
  loading.busy = true;
  EXPECT_EQ(render(d, plan(d, {.instances = {old, loading}}, t0)), "");
  // Once handed over (a hot standby in b, serving in a), the fleet is settled.
  Observed done{.instances = {inst("m/1", kHot, kStandby, {4}), inst("m/2", kHot, kServing, {2})}};
  EXPECT_EQ(render(d, plan(d, done, t0)), "");
  EXPECT_TRUE(settled(d, done, 0));
}

TEST(FleetReconcile, NoMoveWhileThePreferredZoneIsDownOrFull) {
  Desired d{.inventory = pool(), .models = {model("m", 1, {.hot = 1})}};
  Observed o{.instances = {inst("m/1", kHot, kServing, {4}), inst("m/2", kHot, kStandby, {5})},
             .down_zones = {"a"}};
  EXPECT_EQ(render(d, plan(d, o, t0)), "");
  // A model with no preferred zone is never moved.
  d.models[0].preferred_zones = {};
  o.down_zones = {};
  EXPECT_EQ(render(d, plan(d, o, t0)), "");
}

TEST(FleetReconcile, ASingleZonePoolRestartsCrashedInstancesInPlace) {
  // No fleet section: one zone, one node. Both replicas crashed (a poison
  // request): both are started again there.
  Desired d{.inventory = {{"local/gpu0", "local", "local", 80}, {"local/gpu1", "local", "local", 80}},
            .models = {model("m", 2)}};
  d.models[0].preferred_zones = {};
  d.models[0].standby_zone = "";
  Observed o{.instances = {inst("m/0", InstanceState::kFailed, kServing, {0}),
                           inst("m/1", InstanceState::kFailed, kServing, {1})}};
  EXPECT_EQ(render(d, plan(d, o, t0)),
            "forget m/0\n"
            "forget m/1\n"
            "start m/new@local/gpu0 (serving)\n"
            "start m/new@local/gpu1 (serving)\n");
}

TEST(FleetReconcile, CrashLoopBackoffHoldsStartsButNotPromotions) {
  Desired d{.inventory = pool(), .models = {model("m", 1, {.hot = 1})}};
  Observed o{.instances = {inst("m/0", InstanceState::kFailed, kServing, {0}), inst("m/1", kHot, kStandby, {4})},
             .start_after = {t0 + 4s}};
  const Plan held = plan(d, o, t0);
  EXPECT_EQ(render(d, held), "forget m/0\npromote m/1\n");
  ASSERT_EQ(held.unplaced.size(), 1u);
  EXPECT_NE(held.unplaced[0].find("crash-loop backoff"), std::string::npos) << held.unplaced[0];
  // Once the hold has passed, the standby is restored (and serving moved back).
  Observed later{.instances = {inst("m/1", kHot, kServing, {4})}, .start_after = {t0 + 4s}};
  EXPECT_EQ(render(d, plan(d, later, t0 + 3s)), "");
  EXPECT_EQ(render(d, plan(d, later, t0 + 4s)), "start m/new@a1/gpu0 (serving)\n");
}

TEST(FleetReconcile, AServingInstanceLostAboveTheMinimumIsReplaced) {
  // Demand had woken a second instance; one of the two crashed: the fleet
  // serves two again (the warm standby wakes), not just the minimum of one.
  auto m = model("m", 1, {.warm = 1});
  m.hot_max = 2;
  Desired d{.inventory = pool(), .models = {m}};
  Observed o{.instances = {inst("m/0", InstanceState::kFailed, kServing, {0}), inst("m/1", kHot, kServing, {2}),
                           inst("m/2", kWarm, kStandby, {4})}};
  // An instance that never served (it failed while loading) cost nothing.
  EXPECT_EQ(render(d, plan(d, o, t0)), "forget m/0\n");
  o.instances[0].served = true;
  EXPECT_EQ(render(d, plan(d, o, t0)),
            "forget m/0\n"
            "wake m/2\n"
            "start m/new@a1/gpu0 (standby, then sleep)\n");  // a node without a replica first
}

TEST(FleetReconcile, MemoryUseByState) {
  EXPECT_EQ(memory_use(InstanceState::kLoading), MemoryUse::kAwake);
  EXPECT_EQ(memory_use(InstanceState::kDraining), MemoryUse::kAwake);
  EXPECT_EQ(memory_use(InstanceState::kWarm), MemoryUse::kAsleep);
  EXPECT_EQ(memory_use(InstanceState::kCold), MemoryUse::kNone);
  EXPECT_EQ(memory_use(InstanceState::kFailed), MemoryUse::kNone);
}

}  // namespace
}  // namespace sluice::fleet
