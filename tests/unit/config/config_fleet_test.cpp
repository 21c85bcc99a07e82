// The GPU pool's config: `fleet` (zones → nodes → GPUs, overcommit, timing),
// a model's `gpu`, `recovery`, `demand`, `dedicated_to`, a tenant's
// `gpu_quota`: every key read, the defaults, and the error rules with their
// exact `file:line:col: key: message`.
#include <gtest/gtest.h>

#include "config_test_util.h"

namespace sluice::config {
namespace {

using namespace std::chrono_literals;
using testing::errors_of;
using testing::render;
using testing::with_key;

constexpr const char* kHead = R"(tenants:
  - id: acme
    api_keys: [$KEY]
    gpu_quota: {max_gpus: 4, max_memory_gb: 320}
models:
  - name: m1
    source: sim
    sim: {instances: 2, profile: instant}
)";

constexpr const char* kFleet = R"(fleet:
  overcommit: 1.5
  reconcile_interval: 50ms
  start_timeout: 30s
  zone_failure_threshold: 0.6
  zone_failure_window: 10s
  zones:
    - name: zone-a
      nodes:
        - {name: a1, gpus: 2, gpu_memory_gb: 80}
        - {name: a2, gpus: 4}
    - name: zone-b
      nodes:
        - {name: b1, gpus: 8, gpu_memory_gb: 141}
)";

TEST(ConfigFleet, EveryKeyIsRead) {
  const auto config = load_config_text(with_key(std::string(kHead) + R"(    gpu: {count: 2, weights_gb: 16, kv_cache_gb: 40}
    recovery:
      priority: critical
      standby: {hot: 1, warm: 2, cold: 3}
      rto: 1s
      preferred_zones: [zone-a]
      standby_zone: zone-b
      replace_ejected: false
    demand: {max_hot: 4, wake_queue_depth: 8, idle_sleep: 5m}
    dedicated_to: acme
)" + kFleet),
                                       "t.yaml");
  ASSERT_TRUE(config) << render(config.error());
  const FleetConfig& f = config->fleet;
  EXPECT_EQ(f.overcommit, 1.5);
  EXPECT_EQ(f.reconcile_interval, 50ms);
  EXPECT_EQ(f.start_timeout, 30s);
  EXPECT_EQ(f.zone_failure_threshold, 0.6);
  EXPECT_EQ(f.zone_failure_window, 10s);
  ASSERT_EQ(f.zones.size(), 2u);
  EXPECT_EQ(f.zones[0].nodes[1].name, "a2");
  EXPECT_EQ(f.zones[0].nodes[1].gpus, 4);
  EXPECT_EQ(f.zones[0].nodes[1].gpu_memory_gb, 80);  // default
  EXPECT_EQ(f.zones[1].nodes[0].gpu_memory_gb, 141);
  const Model& m = config->models[0];
  EXPECT_EQ(m.gpu, (GpuNeeds{2, 16, 40}));
  EXPECT_EQ(m.recovery.priority, DrPriority::kCritical);
  EXPECT_EQ(m.recovery.standby, (StandbyCounts{1, 2, 3}));
  EXPECT_EQ(m.recovery.rto, 1s);
  EXPECT_EQ(m.recovery.preferred_zones, std::vector<std::string>{"zone-a"});
  EXPECT_EQ(m.recovery.standby_zone, "zone-b");
  EXPECT_FALSE(m.recovery.replace_ejected);
  EXPECT_EQ(m.demand.max_hot, 4);
  EXPECT_EQ(m.demand.wake_queue_depth, 8);
  EXPECT_EQ(m.demand.idle_sleep, 5min);
  EXPECT_EQ(m.dedicated_to, "acme");
  EXPECT_EQ(config->tenants[0].gpu_quota, (GpuQuota{4, 320}));
}

TEST(ConfigFleet, DefaultsWithoutAnyFleetKey) {
  const auto config = load_config_text(with_key(kHead), "t.yaml");
  ASSERT_TRUE(config) << render(config.error());
  EXPECT_TRUE(config->fleet.zones.empty());
  EXPECT_EQ(config->fleet.overcommit, 1.0);
  EXPECT_EQ(config->fleet.reconcile_interval, 100ms);
  const Model& m = config->models[0];
  EXPECT_EQ(m.gpu.count, 1);
  EXPECT_EQ(m.recovery.priority, DrPriority::kNormal);
  EXPECT_EQ(m.recovery.standby, StandbyCounts{});
  EXPECT_TRUE(m.recovery.replace_ejected);
  EXPECT_EQ(m.demand.max_hot, 0);
}

TEST(ConfigFleet, ErrorsPointAtTheKey) {
  // Lines 1-8 are kHead; the model's extra lines start at 9, fleet after.
  EXPECT_EQ(errors_of(std::string(kHead) + R"(    recovery: {priority: urgent, preferred_zones: [zone-c], standby_zone: zone-b}
    demand: {max_hot: 1}
    gpu: {count: 3}
    dedicated_to: acne
fleet:
  overcommit: 0.5
  zone_failure_threshold: 2
  zones:
    - name: zone-a
      nodes:
        - {name: a1, gpus: 2}
    - name: zone-a
      nodes:
        - {name: a1}
)"),
            (std::vector<std::string>{
                "t.yaml:9:26: models[0].recovery.priority: expected one of critical, high, normal, got \"urgent\"",
                "t.yaml:9:52: models[0].recovery.preferred_zones[0]: unknown zone \"zone-c\" (did you mean \"zone-a\"?)",
                "t.yaml:9:75: models[0].recovery.standby_zone: unknown zone \"zone-b\" (did you mean \"zone-a\"?)",
                "t.yaml:10:23: models[0].demand.max_hot: must be at least sim.instances (2), the serving minimum",
                "t.yaml:11:18: models[0].gpu.count: 3 GPUs per instance, but the largest node has 2 (an instance "
                "stays on one node)",
                "t.yaml:12:19: models[0].dedicated_to: unknown tenant \"acne\" (did you mean \"acme\"?)",
                "t.yaml:14:15: fleet.overcommit: must be at least 1 (1 = no overcommit), got 0.5",
                "t.yaml:15:27: fleet.zone_failure_threshold: expected a fraction in (0, 1], got 2",
                "t.yaml:20:13: fleet.zones[1].name: duplicate zone \"zone-a\"; first defined at fleet.zones[0].name "
                "(line 17, column 13)",
                "t.yaml:22:18: fleet.zones[1].nodes[0].name: duplicate node \"a1\"; first defined at "
                "fleet.zones[0].nodes[0].name (line 19, column 18)",
            }));
}

TEST(ConfigFleet, ZonesNeedAnInventory) {
  EXPECT_EQ(errors_of(std::string(kHead) + "    recovery: {standby_zone: b}\n"),
            (std::vector<std::string>{"t.yaml:9:15: models[0].recovery: names zones, but fleet.zones describes none"}));
}

TEST(ConfigFleet, GpusPerInstanceMovedToGpuCount) {
  const auto errors = errors_of(std::string(kHead).replace(std::string(kHead).find("profile: instant"), 16,
                                                           "profile: instant, gpus_per_instance: 2"));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].find("models[0].sim.gpus_per_instance: unknown key"), std::string::npos) << errors[0];
}

}  // namespace
}  // namespace sluice::config

namespace sluice::config {
namespace {

constexpr const char* kTenantOnly = R"(tenants:
  - id: acme
    api_keys: [$KEY]
models:
  - name: m1
    source: process
)";

TEST(ConfigProcess, CommandIsSplitOnSpacesWithPlaceholders) {
  const auto config = load_config_text(
      testing::with_key(std::string(kTenantOnly) + R"(    process:
      command: "vllm serve org/M  --port {port} --tensor-parallel-size {gpu_count}"
      instances: 2
      wake_timeout: 30s
)"),
      "t.yaml");
  ASSERT_TRUE(config) << testing::render(config.error());
  const Model& m = config->models[0];
  EXPECT_EQ(m.source, ModelSource::kProcess);
  EXPECT_EQ(m.process.command, (std::vector<std::string>{"vllm", "serve", "org/M", "--port", "{port}",
                                                         "--tensor-parallel-size", "{gpu_count}"}));
  EXPECT_EQ(m.process.instances, 2);
  EXPECT_EQ(m.serving_minimum(), 2);
  EXPECT_EQ(m.process.wake_timeout, 30s);
}

TEST(ConfigProcess, ErrorsSayWhatIsWrong) {
  EXPECT_EQ(testing::errors_of(std::string(kTenantOnly) + "    process: {command: \"vllm serve {modle} --port {port}\"}\n"),
            (std::vector<std::string>{"t.yaml:7:24: models[0].process.command: unknown placeholder {modle}; expected "
                                      "one of port, model, instance, gpus, gpu_count, got \"modle\" (did you mean "
                                      "\"model\"?)"}));
  EXPECT_EQ(testing::errors_of(std::string(kTenantOnly) + "    process: {command: \"vllm serve m\"}\n"),
            (std::vector<std::string>{"t.yaml:7:24: models[0].process.command: must pass {port}: sluice picks the "
                                      "port each instance listens on"}));
  EXPECT_EQ(testing::errors_of(std::string(kTenantOnly) + "    process: {command: \"x {port}\"}\n    sim: {profile: instant}\n"),
            (std::vector<std::string>{"t.yaml:8:10: models[0].sim: not allowed when source is process"}));
}

}  // namespace
}  // namespace sluice::config
