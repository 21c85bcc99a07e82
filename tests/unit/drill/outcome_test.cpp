#include "sluice/drill/outcome.h"

#include <gtest/gtest.h>

#include <fmt/format.h>

#include "fleet_fixture.h"

namespace sluice::drill {
namespace {

constexpr std::int64_t kInjected = 1'000'000;

/// Where a failover's time is still null.
constexpr std::int64_t kNull = -1;

/// A failover line of the fleet report; times in ms after the injection (kNull = null).
std::string failover(int seq, const char* instance, const char* cause, const char* from, std::int64_t detected,
                     std::int64_t recovered, std::int64_t restored) {
  const auto at = [](std::int64_t v) { return v == kNull ? std::string("null") : std::to_string(kInjected + v); };
  return fmt::format(R"({{"seq":{},"model":"m","instance":"{}","cause":"{}","replacement":"m/9","promoted_from":"{}",)"
                     R"("detected_at_ms":{},"recovered_at_ms":{},"restored_at_ms":{}}})",
                     seq, instance, cause, from, at(detected), at(recovered), at(restored));
}

Measurement measurement(Scenario scenario, std::vector<std::string> affected, const std::string& failovers) {
  Measurement m;
  m.scenario = scenario;
  m.model = "m";
  m.target = "m/0";
  m.affected = std::move(affected);
  m.injected_at_ms = kInjected;
  // An older failover (seq 1) is history: it must not count.
  m.before = parse_fleet_view(test::fleet_json(failover(1, "m/7", "process_exit", "hot", -5000, -4000, -3000))).value();
  m.after = parse_fleet_view(test::fleet_json(failover(1, "m/7", "process_exit", "hot", -5000, -4000, -3000) +
                                              (failovers.empty() ? "" : "," + failovers)))
                .value();
  m.wake_s = 0.1;
  return m;
}

TEST(DrillOutcome, HotStandbyCrashThatPasses) {
  auto m = measurement(Scenario::kCrash, {"m/0"}, failover(2, "m/0", "process_exit", "hot", 3, 250, 4000));
  m.load.requests_sent = 40;
  m.load.streams_sent = 40;
  m.load.answers_checked = 80;
  const ScenarioOutcome o = evaluate(m);
  EXPECT_TRUE(o.complete);
  EXPECT_DOUBLE_EQ(*o.detect_s, 0.003);
  EXPECT_DOUBLE_EQ(*o.recover_s, 0.25);
  EXPECT_DOUBLE_EQ(*o.restore_s, 4.0);
  EXPECT_EQ(o.promoted_from, "hot");
  EXPECT_EQ(o.causes, "process_exit");
  EXPECT_EQ(o.targets.tier, StandbyTier::kHot);
  EXPECT_EQ(o.sla, Verdict::kPass);
  EXPECT_EQ(o.our_rto, Verdict::kPass);
  EXPECT_EQ(o.our_requests, Verdict::kPass);
  EXPECT_EQ(o.ours, Verdict::kPass);
  EXPECT_TRUE(o.passed());
}

TEST(DrillOutcome, ClientErrorsMissOursWithAHotStandbyButNotTheSla) {
  auto m = measurement(Scenario::kCrash, {"m/0"}, failover(2, "m/0", "process_exit", "hot", 3, 250, 4000));
  m.load.streams_broken = 1;
  m.load.tokens_duplicated = 2;
  const ScenarioOutcome o = evaluate(m);
  EXPECT_EQ(o.sla, Verdict::kPass);
  EXPECT_EQ(o.our_rto, Verdict::kPass);
  EXPECT_EQ(o.our_requests, Verdict::kPass);
  EXPECT_EQ(o.our_streams, Verdict::kMiss);
  EXPECT_EQ(o.our_tokens, Verdict::kMiss);
  EXPECT_EQ(o.ours, Verdict::kMiss);
  EXPECT_FALSE(o.passed());
}

TEST(DrillOutcome, NodeDownTakesTheSlowestOfItsInstances) {
  // Both serving instances were on a1; the hot standby (a2) survives.
  auto m = measurement(Scenario::kNodeDown, {"m/0", "m/1", "other/0"},
                       failover(2, "m/0", "node_down", "hot", 5, 300, 2000) + "," +
                           failover(3, "m/1", "node_down", "warm", 7, 1300, 5000));
  const ScenarioOutcome o = evaluate(m);
  EXPECT_TRUE(o.complete);
  EXPECT_DOUBLE_EQ(*o.detect_s, 0.007);
  EXPECT_DOUBLE_EQ(*o.recover_s, 1.3);
  EXPECT_DOUBLE_EQ(*o.restore_s, 5.0);
  EXPECT_EQ(o.promoted_from, "hot+warm");
  EXPECT_EQ(o.targets.tier, StandbyTier::kHot);
  EXPECT_EQ(o.sla, Verdict::kPass);
  EXPECT_EQ(o.our_rto, Verdict::kMiss) << "1.3 s is not under 1 s";
}

TEST(DrillOutcome, WarmStandbyTargetIsWakeTimePlusOneSecond) {
  // A zone outage takes the serving pair and the hot standby; the warm one in zone-b is left.
  auto m = measurement(Scenario::kZoneOutage, {"m/0", "m/1", "m/2"},
                       failover(2, "m/0", "zone_down", "warm", 10, 1050, 9000) + "," +
                           failover(3, "m/1", "zone_down", "new", 10, 1100, 9000) + "," +
                           failover(4, "m/2", "zone_down", "new", 10, -1, 9000));
  const ScenarioOutcome o = evaluate(m);
  EXPECT_TRUE(o.complete) << "the standby m/2 needs restoring only";
  EXPECT_EQ(o.targets.tier, StandbyTier::kWarm);
  EXPECT_DOUBLE_EQ(*o.recover_s, 1.1);
  EXPECT_EQ(o.our_rto, Verdict::kPass) << "1.1 s is within 0.1 + 1 s";
  EXPECT_EQ(o.our_requests, Verdict::kNotApplicable);
  EXPECT_EQ(o.ours, Verdict::kPass);
}

TEST(DrillOutcome, UnfinishedRecoveryMisses) {
  auto undetected = measurement(Scenario::kHang, {"m/0"}, "");
  ScenarioOutcome o = evaluate(undetected);
  EXPECT_FALSE(o.complete);
  EXPECT_FALSE(o.detect_s);
  EXPECT_EQ(o.sla, Verdict::kMiss);
  EXPECT_EQ(o.our_rto, Verdict::kMiss);

  auto unrecovered = measurement(Scenario::kGpuFault, {"m/0"}, failover(2, "m/0", "health_check", "hot", 900, -1, -1));
  o = evaluate(unrecovered);
  EXPECT_FALSE(o.complete);
  EXPECT_DOUBLE_EQ(*o.detect_s, 0.9);
  EXPECT_FALSE(o.recover_s);
  EXPECT_FALSE(o.restore_s);
  EXPECT_EQ(o.sla, Verdict::kMiss);
}

TEST(DrillOutcome, SlowRecoveryMissesTheSla) {
  auto m = measurement(Scenario::kCrash, {"m/0"}, failover(2, "m/0", "process_exit", "cold", 3, 6000, 9000));
  for (auto& i : m.before.instances) {
    if (i.role == "standby") i.temperature = "cold";
  }
  const ScenarioOutcome o = evaluate(m);
  EXPECT_EQ(o.targets.tier, StandbyTier::kCold);
  EXPECT_EQ(o.sla, Verdict::kMiss) << "6 s is not under 6 s";
  EXPECT_EQ(o.ours, Verdict::kNotApplicable);
  EXPECT_FALSE(o.passed());
}

TEST(DrillOutcome, CorruptModelCountsItsFailedLoads) {
  auto m = measurement(Scenario::kCorruptModel, {"m/0"},
                       failover(2, "m/0", "process_exit", "hot", 2, 200, 9000) + "," +
                           failover(3, "m/5", "load_failed", "new", 3100, -1, 8000));
  const ScenarioOutcome o = evaluate(m);
  EXPECT_TRUE(o.complete);
  EXPECT_EQ(o.load_failures, 1);
  EXPECT_DOUBLE_EQ(*o.load_failure_s, 3.1);
  EXPECT_EQ(o.causes, "process_exit+load_failed");
  EXPECT_DOUBLE_EQ(*o.restore_s, 9.0);
  EXPECT_EQ(o.sla, Verdict::kPass);
}

TEST(DrillOutcome, TrackingIgnoresOtherModelsAndHistory) {
  const FleetView before = parse_fleet_view(test::fleet_json()).value();
  const FleetView after = parse_fleet_view(test::fleet_json(
      failover(1, "m/0", "process_exit", "hot", 1, 2, 3) + "," +
      R"({"seq":2,"model":"other","instance":"other/0","cause":"node_down","detected_at_ms":5})")).value();
  const std::vector<std::string> affected = {"m/0", "other/0"};
  const TrackedFailovers old = track_failovers(before, after, 1, "m", affected);
  EXPECT_TRUE(old.serving.empty());
  EXPECT_EQ(old.undetected, (std::vector<std::string>{"m/0"}));
  EXPECT_FALSE(recovery_complete(old));
  const TrackedFailovers fresh = track_failovers(before, after, 0, "m", affected);
  EXPECT_EQ(fresh.serving.size(), 1U);
  EXPECT_TRUE(fresh.other.empty());
  EXPECT_TRUE(recovery_complete(fresh));
}

TEST(DrillOutcome, EscalatedFailuresCountToo) {
  // The node went down with m/0; the controller then failed the zone, m/1 with it.
  auto m = measurement(Scenario::kNodeDown, {"m/0"},
                       failover(2, "m/0", "node_down", "hot", 1, 200, 3000) + "," +
                           failover(3, "m/1", "zone_down", "new", 2, 1600, kNull));
  ScenarioOutcome o = evaluate(m);
  EXPECT_FALSE(o.complete) << "m/1's replacement is not restored yet";
  EXPECT_DOUBLE_EQ(*o.recover_s, 1.6);
  EXPECT_FALSE(o.restore_s);
  EXPECT_EQ(o.causes, "node_down+zone_down");
  EXPECT_EQ(o.promoted_from, "hot+new");
}

FleetInstance instance(std::string id, std::string model, std::string state) {
  return {std::move(id), std::move(model), std::move(state), "none", "standby", "b2", "zone-b"};
}

TEST(DrillOutcome, InstanceWatchSeesFailedStartsThatOpenNoFailover) {
  FleetView before = parse_fleet_view(test::fleet_json()).value();
  before.instances.push_back(instance("m/4", "m", "failed"));  // failed already: not this fault's
  InstanceWatch watch(before, "m", {"m/0"});

  FleetView during = before;
  during.instances[0].state = "failed";  // the victim itself
  during.instances.push_back(instance("m/5", "m", "failed"));
  during.instances.push_back(instance("m/6", "m", "loading"));     // will vanish before coming up
  during.instances.push_back(instance("m/7", "m", "starting"));    // will come up
  during.instances.push_back(instance("other/1", "other", "failed"));
  watch.observe(during);
  EXPECT_EQ(watch.failed(), (std::vector<std::string>{"m/5"}));

  FleetView later = before;
  later.instances.push_back(instance("m/7", "m", "hot"));
  watch.observe(later);  // m/5 and m/6 gone; m/6 never came up
  FleetView last = before;
  watch.observe(last);   // m/7 gone after coming up: stopped, not failed
  EXPECT_EQ(watch.failed(), (std::vector<std::string>{"m/5", "m/6"}));
}

TEST(DrillOutcome, ScenarioThatCouldNotRun) {
  const ScenarioOutcome o = failed_to_run(Scenario::kZoneOutage, "m", "model m did not settle");
  EXPECT_FALSE(o.passed());
  EXPECT_EQ(o.targets.sla_rto_s, 90);
}

}  // namespace
}  // namespace sluice::drill
