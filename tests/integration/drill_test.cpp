// `sluice drill` end to end: the drill starts its own gateway (with a fleet
// over two zones, engines sped up 40x), keeps a load on it, fails an
// instance, a node or a zone through the admin API, or from outside the
// gateway with a signal to an engine's process, and reports. The checks
// read the drill's --json output.
#include <cstdlib>

#include "harness.h"

namespace sluice::itest {
namespace {


/// Two serving instances in zone-a, a hot and a warm standby in zone-b;
/// tries cut after 1 s and retried elsewhere, 5xx included.
std::string drill_config() {
  return make_config(
             "access_log: \"\", timeouts: {per_try: 1s, first_token: 1s, stream_idle: 1s}, "
             "retry: {retries: 3, retry_on: [connect_failure, refused, reset, gateway_error, 5xx], budget_percent: 100}",
             "  - name: small\n"
             "    source: sim\n"
             "    sim: {profile: llama-3.1-8b-h100, instances: 2, speedup: 40}\n"
             "    gpu: {count: 1, kv_cache_gb: 40}\n"
             "    recovery: {standby: {hot: 1, warm: 1, cold: 0}, preferred_zones: [zone-a], standby_zone: zone-b}\n"
             "    health_check: {interval: 200ms, timeout: 150ms, unhealthy_threshold: 2}\n") +
         two_zone_fleet_yaml(2);
}

struct DrillRun {
  CommandResult result;
  Json report;  // the --json file; discarded when absent
};

DrillRun drill(const std::string& scenario, const std::vector<std::string>& extra = {}) {
  TempDir dir;
  const std::string config = dir.write("drill.yaml", drill_config());
  const std::string json = dir.path() + "/drill.json";
  std::vector<std::string> argv = {sluice_binary(), "drill",   "-c",           config, "--scenario", scenario,
                                   "--model",       "small",   "--api-key",    std::string(kAcmeKey),
                                   "--rate",        "20",      "--max-tokens", "16",   "--warmup",   "500ms",
                                   "--observe",     "15s",     "--settle-timeout", "20s", "--json", json};
  argv.insert(argv.end(), extra.begin(), extra.end());
  DrillRun run;
  run.result = run_command(argv, 60000ms, {{"SLUICE_ADMIN_TOKEN", std::string(kTestAdminToken)}});
  run.report = Json::parse(read_file(json), nullptr, false);
  return run;
}

/// The one scenario's object of the report.
Json scenario_of(const DrillRun& run) {
  if (run.report.is_discarded() || run.report["scenarios"].size() != 1) return Json::object();
  return run.report["scenarios"][0];
}

std::string context(const DrillRun& run) {
  return "stdout:\n" + run.result.out + "\nstderr:\n" + run.result.err;
}

/// Checks every drill shares: it ran, recovery finished, nothing the
/// clients sent failed (a hot standby was left), the exit status says the same as the report.
void expect_clean_recovery(const DrillRun& run, const Json& s, bool restored = true) {
  ASSERT_FALSE(run.result.timed_out) << context(run);
  ASSERT_FALSE(s.empty()) << context(run);
  EXPECT_FALSE(s.contains("error")) << context(run);
  if (restored) {
    EXPECT_TRUE(s.value("complete", false)) << "recovered and restored within --observe\n" << context(run);
  }
  EXPECT_EQ(run.result.exit_code, run.report.value("passed", false) ? 0 : 1) << context(run);
  EXPECT_EQ(s["verdicts"]["sla"], "PASS") << context(run);
  EXPECT_EQ(s["targets"]["standby_left"], "hot") << context(run);
  const Json& load = s["load"];
  EXPECT_GT(load["requests_sent"].get<int>(), 5) << context(run);
  EXPECT_GT(load["streams_sent"].get<int>(), 5) << context(run);
  EXPECT_EQ(load["requests_failed"], 0) << context(run);
  EXPECT_EQ(load["streams_broken"], 0) << context(run);
  EXPECT_EQ(load["tokens_lost"], 0) << context(run);
  EXPECT_EQ(load["tokens_duplicated"], 0) << context(run);
  // Nobody waited long either: an answer takes well under a second here, a retried or continued one a few.
  EXPECT_GT(load["slowest_s"].get<double>(), 0.0) << context(run);
  EXPECT_LT(load["slowest_s"].get<double>(), 5.0) << context(run);
  EXPECT_EQ(load["answers_checked"].get<int>(), load["requests_sent"].get<int>() + load["streams_sent"].get<int>())
      << context(run);
  EXPECT_TRUE(s["detect_s"].is_number() && s["recover_s"].is_number()) << context(run);
  if (restored) {
    EXPECT_TRUE(s["restore_s"].is_number()) << context(run);
  }
  if (s["detect_s"].is_number() && s["recover_s"].is_number() && s["restore_s"].is_number()) {
    EXPECT_LE(s["detect_s"].get<double>(), s["recover_s"].get<double>());
    EXPECT_LE(s["recover_s"].get<double>(), s["restore_s"].get<double>());
  }
}

TEST(DrillTest, CrashOfAHotInstanceUnderLoadFailsNoRequestAndPromotesTheHotStandby) {
  const DrillRun run = drill("crash");
  const Json s = scenario_of(run);
  expect_clean_recovery(run, s);
  EXPECT_EQ(s["target"], "small/0") << context(run);
  EXPECT_EQ(s["affected"], Json::array({"small/0"})) << context(run);
  EXPECT_EQ(s["promoted_from"], "hot") << context(run);
  EXPECT_EQ(s["causes"], "process_exit") << context(run);
  EXPECT_NE(run.result.out.find("crash — instance process crash (kill -9)"), std::string::npos) << context(run);
}

TEST(DrillTest, NodeDownTakesEveryInstanceOnTheNode) {
  const DrillRun run = drill("node_down");
  const Json s = scenario_of(run);
  expect_clean_recovery(run, s);
  ASSERT_TRUE(s["target"].is_string()) << context(run);
  EXPECT_TRUE(s["target"].get<std::string>().starts_with("node a")) << "a serving node of zone-a\n" << context(run);
  EXPECT_GE(s["affected"].size(), 1U) << context(run);
  EXPECT_EQ(s["causes"], "node_down") << context(run);
}

TEST(DrillTest, ZoneOutageMovesTheModelToTheStandbyZone) {
  const DrillRun run = drill("zone_outage");
  const Json s = scenario_of(run);
  expect_clean_recovery(run, s);
  EXPECT_EQ(s["target"], "zone zone-a") << context(run);
  // Both serving instances were in zone-a: both go, both are replaced from zone-b.
  EXPECT_EQ(s["affected"].size(), 2U) << context(run);
  EXPECT_EQ(s["causes"], "zone_down") << context(run);
  EXPECT_NE(s["promoted_from"].get<std::string>().find("hot"), std::string::npos) << context(run);
}

/// The one injected step, "SIGKILL small/0 (pid 1234)": its pid, or 0.
int signalled_pid(const Json& s, const std::string& signal, const std::string& instance) {
  if (!s.contains("injected") || s["injected"].size() != 1 || !s["injected"][0].is_string()) return 0;
  const std::string step = s["injected"][0].get<std::string>();
  const std::string prefix = signal + " " + instance + " (pid ";
  if (!step.starts_with(prefix) || !step.ends_with(")")) return 0;
  return std::atoi(step.c_str() + prefix.size());
}

TEST(DrillTest, KillFromOutsideTheGatewayFailsNoRequest) {
  const DrillRun run = drill("kill");
  const Json s = scenario_of(run);
  expect_clean_recovery(run, s);
  EXPECT_EQ(s["target"], "small/0") << context(run);
  EXPECT_EQ(s["affected"], Json::array({"small/0"})) << context(run);
  EXPECT_GT(signalled_pid(s, "SIGKILL", "small/0"), 0) << "the pid from GET /admin/fleet\n" << context(run);
  // The gateway was not told: it saw its engine exit.
  EXPECT_EQ(s["causes"], "process_exit") << context(run);
  EXPECT_EQ(s["promoted_from"], "hot") << context(run);
}

TEST(DrillTest, FreezeFromOutsideIsCaughtAndTheFrozenProcessIsNotLeftStopped) {
  const DrillRun run = drill("freeze");
  const Json s = scenario_of(run);
  expect_clean_recovery(run, s);
  EXPECT_EQ(s["target"], "small/0") << context(run);
  const int pid = signalled_pid(s, "SIGSTOP", "small/0");
  EXPECT_GT(pid, 0) << context(run);
  // A frozen engine answers nothing, /health included: its checks time out.
  EXPECT_TRUE(s["causes"] == "unhealthy" || s["causes"] == "ejected") << context(run);
  EXPECT_EQ(s["promoted_from"], "hot") << context(run);
  // After the watch the drill continues the process, or finds it gone (the gateway killed it).
  const std::string sent = "freeze: sent SIGCONT to small/0 (pid " + std::to_string(pid) + ")";
  const std::string gone = "freeze: small/0 (pid " + std::to_string(pid) + ") has exited; no SIGCONT";
  EXPECT_TRUE(run.result.err.find(sent) != std::string::npos || run.result.err.find(gone) != std::string::npos)
      << context(run);
}

TEST(DrillTest, NodeKillFromOutsideKillsEveryEngineOnTheNode) {
  const DrillRun run = drill("node_kill");
  const Json s = scenario_of(run);
  expect_clean_recovery(run, s);
  ASSERT_TRUE(s["target"].is_string()) << context(run);
  EXPECT_TRUE(s["target"].get<std::string>().starts_with("node a")) << context(run);
  EXPECT_GE(s["affected"].size(), 1U) << context(run);
  ASSERT_EQ(s["injected"].size(), 1U) << context(run);
  EXPECT_TRUE(s["injected"][0].get<std::string>().starts_with("SIGKILL small/")) << context(run);
  EXPECT_NE(s["causes"].get<std::string>().find("process_exit"), std::string::npos) << context(run);
}

TEST(DrillTest, ZoneKillFromOutsideMovesTheModelToTheStandbyZone) {
  const DrillRun run = drill("zone_kill");
  const Json s = scenario_of(run);
  // Clients see nothing and the model serves again at once; the standbys
  // are not always back within --observe (when the fleet sees the two exits
  // in separate passes, zone-b can end up too full for the warm standby
  // until zone-a's failure window has passed), so restoration is not checked here.
  expect_clean_recovery(run, s, /*restored=*/false);
  EXPECT_LT(s["recover_s"].is_number() ? s["recover_s"].get<double>() : 99.0, 1.0) << context(run);
  EXPECT_EQ(s["target"], "zone zone-a") << context(run);
  // Both serving instances were in zone-a: both killed, both replaced from zone-b.
  EXPECT_EQ(s["affected"].size(), 2U) << context(run);
  ASSERT_EQ(s["injected"].size(), 1U) << context(run);
  EXPECT_TRUE(s["injected"][0].get<std::string>().starts_with("SIGKILL small/")) << context(run);
  EXPECT_NE(s["causes"].get<std::string>().find("process_exit"), std::string::npos) << context(run);
  EXPECT_NE(s["promoted_from"].get<std::string>().find("hot"), std::string::npos) << context(run);
}

TEST(DrillTest, BadUsageExitsTwo) {
  TempDir dir;
  const std::string config = dir.write("drill.yaml", drill_config());
  const auto typo = run_command({sluice_binary(), "drill", "-c", config, "--scenario", "zone_down"}, 10000ms);
  EXPECT_EQ(typo.exit_code, 2);
  EXPECT_NE(typo.err.find("unknown scenario \"zone_down\""), std::string::npos) << typo.err;
  const auto no_key = run_command({sluice_binary(), "drill", "-c", config, "--scenario", "crash"}, 10000ms);
  EXPECT_EQ(no_key.exit_code, 2);
  EXPECT_NE(no_key.err.find("--api-key"), std::string::npos) << "the demo keys are hashes\n" << no_key.err;
  const auto half = run_command({sluice_binary(), "drill", "-c", config, "--gateway", "http://127.0.0.1:1"}, 10000ms);
  EXPECT_EQ(half.exit_code, 2);
  EXPECT_NE(half.err.find("--gateway and --admin go together"), std::string::npos) << half.err;
}

}  // namespace
}  // namespace sluice::itest
