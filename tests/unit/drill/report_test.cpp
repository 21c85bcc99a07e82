#include "sluice/drill/report.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace sluice::drill {
namespace {

ScenarioOutcome passing_crash() {
  ScenarioOutcome o;
  o.scenario = Scenario::kCrash;
  o.model = "m";
  o.target = "m/0";
  o.affected = {"m/0"};
  o.detect_s = 0.004;
  o.recover_s = 0.21;
  o.restore_s = 3.5;
  o.promoted_from = "hot";
  o.complete = true;
  o.load.requests_sent = 60;
  o.load.streams_sent = 60;
  o.load.slowest_s = 0.42;
  o.targets = targets_for(Scenario::kCrash, StandbyTier::kHot, 0.1);
  o.sla = o.our_rto = o.our_requests = o.our_streams = o.our_tokens = o.ours = Verdict::kPass;
  return o;
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

TEST(DrillReport, ScenarioTextShowsMeasuresBesideTargets) {
  const std::string text = render_scenario_text(passing_crash());
  EXPECT_TRUE(contains(text, "crash — instance process crash (kill -9): m/0 of m")) << text;
  EXPECT_TRUE(contains(text, "ours (hot standby left)")) << text;
  EXPECT_TRUE(contains(text, "0.21 s")) << text;
  EXPECT_TRUE(contains(text, "< 6 s PASS")) << text;
  EXPECT_TRUE(contains(text, "< 1 s PASS")) << text;
  EXPECT_TRUE(contains(text, "0 / 60")) << text;
  EXPECT_TRUE(contains(text, "result: PASS")) << text;
  // Columns line up: the "result" header and the value under it start at the same column.
  EXPECT_EQ(text.find("result") - text.find("measure"), text.find("0.21 s") - text.find("time to recover"));
}

TEST(DrillReport, InjectedStepsShowInTextAndJson) {
  ScenarioOutcome o = passing_crash();
  o.scenario = Scenario::kFreeze;
  o.injected = {"SIGSTOP m/0 (pid 4242)"};
  const std::string text = render_scenario_text(o);
  EXPECT_TRUE(contains(text, "freeze — engine process frozen from outside")) << text;
  EXPECT_TRUE(contains(text, "injected: SIGSTOP m/0 (pid 4242)")) << text;
  const ScenarioOutcome outcomes[] = {o};
  const auto json = nlohmann::json::parse(render_json(outcomes));
  EXPECT_EQ(json["scenarios"][0]["injected"], nlohmann::json::array({"SIGSTOP m/0 (pid 4242)"}));
  EXPECT_EQ(json["scenarios"][0]["scenario"], "freeze");
}

TEST(DrillReport, MissesAndNotesShow) {
  ScenarioOutcome o = passing_crash();
  o.complete = false;
  o.recover_s.reset();
  o.sla = o.our_rto = o.ours = Verdict::kMiss;
  o.load.failure_reasons["request: status 503"] = 3;
  const std::string text = render_scenario_text(o);
  EXPECT_TRUE(contains(text, "< 6 s MISS")) << text;
  EXPECT_TRUE(contains(text, "recovery did not finish within the observation window")) << text;
  EXPECT_TRUE(contains(text, "3 × request: status 503")) << text;
  EXPECT_TRUE(contains(text, "result: MISS")) << text;
  const std::string error = render_scenario_text(failed_to_run(Scenario::kHang, "m", "no fleet controller"));
  EXPECT_TRUE(contains(error, "could not run: no fleet controller")) << error;
}

TEST(DrillReport, MarkdownTables) {
  const ScenarioOutcome outcomes[] = {passing_crash(), failed_to_run(Scenario::kNodeDown, "m", "x")};
  const std::string md = render_scenario_markdown(outcomes[0]);
  EXPECT_TRUE(contains(md, "| measure | result | source SLA | ours (hot standby left) |\n|---|---|---|---|\n")) << md;
  const std::string summary = render_summary_markdown(outcomes);
  EXPECT_TRUE(contains(summary, "| crash | m/0 | hot | 0.00 s | 0.21 s | 3.50 s | hot |")) << summary;
  EXPECT_TRUE(contains(summary, "| 0/0 | 0.42 s | PASS (< 6 s) | PASS | PASS |")) << "the slowest request\n" << summary;
  EXPECT_TRUE(contains(md, "| slowest request | 0.42 s |")) << md;
  EXPECT_TRUE(contains(summary, "| node_down |")) << summary;
  EXPECT_TRUE(contains(summary, "| MISS |")) << summary;
}

TEST(DrillReport, JsonHasEveryFigure) {
  const ScenarioOutcome outcomes[] = {passing_crash(), failed_to_run(Scenario::kNodeDown, "m", "x")};
  const auto j = nlohmann::json::parse(render_json(outcomes));
  EXPECT_EQ(j["passed"], false);
  ASSERT_EQ(j["scenarios"].size(), 2U);
  const auto& crash = j["scenarios"][0];
  EXPECT_EQ(crash["scenario"], "crash");
  EXPECT_EQ(crash["recover_s"], 0.21);
  EXPECT_EQ(crash["targets"]["our_rto_s"], 1.0);
  EXPECT_EQ(crash["verdicts"]["sla"], "PASS");
  EXPECT_EQ(crash["load"]["requests_sent"], 60);
  EXPECT_DOUBLE_EQ(crash["load"]["slowest_s"].get<double>(), 0.42);
  EXPECT_EQ(j["scenarios"][1]["error"], "x");
}

}  // namespace
}  // namespace sluice::drill
