// `sluice simulate` with several replicas: the fleet-wide fairness sync
// gives the shares of one gateway on the weights-1-2-3-4 and
// two-tenants-overload workloads split unevenly over three replicas; without
// it, each replica is fair only among the tenants it sees.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <string>

#include "sluice/config/loader.h"
#include "sluice/simulate/simulation.h"
#include "sluice/workload/report.h"
#include "sluice/workload/workload.h"

namespace sluice::simulate {
namespace {

std::string path(const std::string& rel) { return std::string(SLUICE_SOURCE_DIR) + "/" + rel; }

struct Shares {
  std::map<std::string, double> share;
  double tokens_per_s = 0;
};

Shares run(const workload::Workload& w) {
  static const auto cfg = config::load_config_file(path("examples/fairness.yaml"));
  EXPECT_TRUE(cfg.has_value());
  EXPECT_TRUE(check_compatible(*cfg, w).has_value());
  const workload::RunRecorder recorder = run_simulation(*cfg, w, SimulationOptions{});
  const workload::RunReport report = workload::build_report(recorder, "vtc");
  Shares out;
  for (const auto& t : report.tenants) out.share[t.name] = t.share;
  out.tokens_per_s = report.total_tokens_per_s;
  return out;
}

/// The same arrivals on one gateway, on three replicas without a sync, and
/// on three replicas that sync every 20 ms.
struct Compared {
  Shares single, unsynced, synced;
};

Compared compare(const std::string& file) {
  auto w = workload::load_workload_file(path(file));
  EXPECT_TRUE(w.has_value());
  EXPECT_EQ(w->replicas, 3);
  EXPECT_DOUBLE_EQ(w->replica_sync_s, 0.02);
  Compared c;
  c.synced = run(*w);
  workload::Workload off = *w;
  off.replica_sync_s = 0;
  c.unsynced = run(off);
  workload::Workload one = *w;
  one.replicas = 1;
  for (auto& t : one.tenants) t.replica_split.clear();
  c.single = run(one);
  return c;
}

double largest_gap(const Shares& a, const Shares& b) {
  double gap = 0;
  for (const auto& [tenant, share] : a.share) gap = std::max(gap, std::abs(share - b.share.at(tenant)));
  return gap;
}

TEST(SimulateReplicas, TwoTenantsOverloadSyncedIsOneGateway) {
  const Compared c = compare("examples/workloads/replicas-two-tenants.yaml");
  EXPECT_NEAR(c.single.share.at("alpha"), 0.5, 0.02);
  // Synced: within 5 percentage points of the one gateway's shares.
  EXPECT_LT(largest_gap(c.synced, c.single), 0.05) << "alpha " << c.synced.share.at("alpha");
  // Not synced: alpha (on replica 1 only) gets far less than half.
  EXPECT_LT(c.unsynced.share.at("alpha"), 0.35);
  // Holding room for another replica's tenant costs no throughput here.
  EXPECT_GT(c.synced.tokens_per_s, 0.97 * c.single.tokens_per_s);
}

TEST(SimulateReplicas, WeightsSyncedIsOneGateway) {
  const Compared c = compare("examples/workloads/replicas-weights.yaml");
  EXPECT_NEAR(c.single.share.at("w4"), 0.4, 0.02);
  EXPECT_LT(largest_gap(c.synced, c.single), 0.05)
      << "w1..w4 " << c.synced.share.at("w1") << " " << c.synced.share.at("w2") << " " << c.synced.share.at("w3")
      << " " << c.synced.share.at("w4");
  EXPECT_GT(largest_gap(c.unsynced, c.single), 0.05);
  EXPECT_GT(c.synced.tokens_per_s, 0.97 * c.single.tokens_per_s);
}

TEST(SimulateReplicas, OneReplicaIsUnchangedAndEvenSplitsNeedNoSync) {
  auto w = workload::load_workload_file(path("examples/workloads/two-tenants-overload.yaml"));
  ASSERT_TRUE(w.has_value());
  EXPECT_EQ(w->replicas, 1);
  const Shares single = run(*w);
  w->replicas = 3;  // no split given: every tenant spread evenly
  const Shares even = run(*w);
  EXPECT_LT(largest_gap(even, single), 0.05);
}

TEST(SimulateReplicas, WorkloadSplitMustMatchReplicas) {
  auto w = workload::load_workload_text(
      "replicas: 2\nreplica_sync: 10ms\nmodel: m\ntenants:\n"
      "  - tenant: a\n    arrival: {process: constant, rate: 1}\n    replicas: [1, 0, 0]\n",
      "w.yaml");
  ASSERT_FALSE(w.has_value());
  EXPECT_NE(w.error().front().find("one share per replica (2), got 3"), std::string::npos) << w.error().front();
  auto bad = workload::load_workload_text(
      "model: m\ntenants:\n  - tenant: a\n    arrival: {process: constant, rate: 1}\n    replicas: [0, 0]\n", "w.yaml");
  ASSERT_FALSE(bad.has_value());
}

}  // namespace
}  // namespace sluice::simulate
