#include <gtest/gtest.h>

#include <cmath>

#include "sluice/workload/report.h"

namespace sluice::workload {
namespace {

/// Marks tenant `t` backlogged (or not) in every second of [from, to).
void backlog(RunRecorder& r, std::uint32_t t, double from, double to, bool backlogged = true) {
  for (double s = from; s < to; s += 0.5) r.sample_backlog(t, s + 0.1, backlogged);
}

RequestRecord ok(std::uint32_t tenant, double sent_s, double ttft_s, double e2e_s) {
  return RequestRecord{.tenant = tenant, .sent_s = sent_s, .outcome = Outcome::kOk, .ttft_s = ttft_s, .e2e_s = e2e_s,
                       .input_tokens = 10, .output_tokens = 10};
}

TEST(WorkloadReport, OutcomeCodes) {
  EXPECT_EQ(outcome_from_code("rate_limit_exceeded"), Outcome::kRateLimited);
  EXPECT_EQ(outcome_from_code("concurrency_limit_exceeded"), Outcome::kConcurrencyLimit);
  EXPECT_EQ(outcome_from_code("queue_full"), Outcome::kQueueFull);
  EXPECT_EQ(outcome_from_code("queue_timeout"), Outcome::kQueueTimeout);
  EXPECT_EQ(outcome_from_code("upstream_error"), Outcome::kError);
  EXPECT_EQ(outcome_from_code(""), Outcome::kError);
  EXPECT_EQ(to_string(Outcome::kQueueFull), "queue_full");
}

TEST(WorkloadReport, SharesRatesAndCounts) {
  // Window [10, 20]: only what falls in it counts.
  RunRecorder r({"a", "b"}, {1, 3}, ServiceWeights{}, 20, 10);
  r.add_service(0, 5, 1000, 1000);   // warm-up: not counted
  r.add_service(0, 12, 100, 50);     // service 100 + 2·50 = 200
  r.add_service(1, 15, 200, 100);    // 400
  r.add_service(1, 20, 0, 100);      // 200, at the very end: counted
  r.add_service(1, 25, 0, 100);      // after the run: not counted
  r.add_request(ok(0, 11, 0.1, 0.5));
  r.add_request(ok(0, 9, 0.1, 0.5));  // sent in the warm-up
  r.add_request(RequestRecord{.tenant = 1, .sent_s = 12, .outcome = Outcome::kQueueFull});
  r.add_request(RequestRecord{.tenant = 1, .sent_s = 13, .outcome = Outcome::kQueueFull});
  r.add_request(RequestRecord{.tenant = 1, .sent_s = 13, .outcome = Outcome::kRateLimited});
  r.add_request(RequestRecord{.tenant = 1, .sent_s = 14, .outcome = Outcome::kError});

  const RunReport report = build_report(r, "load");
  EXPECT_EQ(report.label, "load");
  EXPECT_EQ(report.warmup_s, 10);
  EXPECT_EQ(report.duration_s, 20);
  ASSERT_EQ(report.tenants.size(), 2u);
  const TenantReport& a = report.tenants[0];
  const TenantReport& b = report.tenants[1];
  EXPECT_EQ(a.name, "a");
  EXPECT_EQ(b.weight, 3);
  EXPECT_EQ(a.sent, 1);
  EXPECT_EQ(a.completed, 1);
  EXPECT_EQ(b.sent, 4);
  EXPECT_EQ(b.completed, 0);
  EXPECT_EQ(b.errors, 1);
  EXPECT_EQ(b.refused.at(Outcome::kQueueFull), 2);
  EXPECT_EQ(b.refused.at(Outcome::kRateLimited), 1);
  EXPECT_EQ(a.tokens_per_s, 5);        // 50 tokens / 10 s
  EXPECT_EQ(b.tokens_per_s, 20);       // 200 / 10
  EXPECT_EQ(a.service_per_s, 20);      // 200 / 10
  EXPECT_EQ(b.service_per_s, 60);      // 600 / 10
  EXPECT_DOUBLE_EQ(a.share, 0.25);
  EXPECT_DOUBLE_EQ(b.share, 0.75);
  EXPECT_EQ(report.total_tokens_per_s, 25);
  EXPECT_EQ(report.total_service_per_s, 80);
  EXPECT_TRUE(std::isnan(b.ttft_p50_s));  // nothing completed
}

TEST(WorkloadReport, NearestRankPercentiles) {
  RunRecorder r({"a"}, {1}, ServiceWeights{}, 10, 0);
  for (int i = 1; i <= 100; ++i) r.add_request(ok(0, 1, i / 1000.0 * 8, i / 100.0 * 4));
  const TenantReport t = build_report(r, "x").tenants[0];
  EXPECT_FLOAT_EQ(t.ttft_p50_s, 0.4f);   // 50th of 0.008, 0.016, …
  EXPECT_FLOAT_EQ(t.ttft_p99_s, 0.792f);
  EXPECT_FLOAT_EQ(t.e2e_p50_s, 2.0f);
  EXPECT_FLOAT_EQ(t.e2e_p99_s, 3.96f);
}

TEST(WorkloadReport, BackloggedNeedsNinetyPercentOfBuckets) {
  RunRecorder r({"a", "b", "c"}, {1, 1, 1}, ServiceWeights{}, 10, 0);
  backlog(r, 0, 0, 9);               // 9 of 10 buckets: backlogged
  backlog(r, 1, 0, 8);               // 8 of 10: not
  backlog(r, 2, 0, 10);
  r.sample_backlog(2, 4.9, false);   // one "no" spoils bucket 4: 9 of 10
  const RunReport report = build_report(r, "x");
  EXPECT_TRUE(report.tenants[0].backlogged);
  EXPECT_FALSE(report.tenants[1].backlogged);
  EXPECT_TRUE(report.tenants[2].backlogged);
  EXPECT_TRUE(r.backlogged(2, 3));
  EXPECT_FALSE(r.backlogged(2, 4));
  EXPECT_FALSE(r.backlogged(1, 9));  // no sample
}

TEST(WorkloadReport, JainIndex) {
  {  // Equal service per weight: 1.
    RunRecorder r({"a", "b", "c"}, {1, 2, 3}, ServiceWeights{.w_input = 1, .w_output = 0}, 10, 0);
    for (std::uint32_t t = 0; t < 3; ++t) {
      backlog(r, t, 0, 10);
      r.add_service(t, 5, 100 * (t + 1), 0);
    }
    EXPECT_DOUBLE_EQ(build_report(r, "x").jain_index, 1.0);
  }
  {  // x = (1, 3): (4)² / (2 · 10) = 0.8. A tenant that is not backlogged is left out.
    RunRecorder r({"a", "b", "idle"}, {1, 1, 1}, ServiceWeights{.w_input = 1, .w_output = 0}, 10, 0);
    backlog(r, 0, 0, 10);
    backlog(r, 1, 0, 10);
    r.add_service(0, 5, 100, 0);
    r.add_service(1, 5, 300, 0);
    r.add_service(2, 5, 10000, 0);
    EXPECT_DOUBLE_EQ(build_report(r, "x").jain_index, 0.8);
  }
  {  // One backlogged tenant: undefined.
    RunRecorder r({"a", "b"}, {1, 1}, ServiceWeights{}, 10, 0);
    backlog(r, 0, 0, 10);
    r.add_service(0, 5, 100, 0);
    EXPECT_TRUE(std::isnan(build_report(r, "x").jain_index));
  }
}

TEST(WorkloadReport, MaxWeightedGapOverBacklogRuns) {
  // Weights 1 and 2, service only from input tokens so it is easy to follow.
  RunRecorder r({"a", "b"}, {1, 2}, ServiceWeights{.w_input = 1, .w_output = 0}, 10, 2);
  for (std::size_t s = 0; s < 10; ++s) {
    r.add_service(0, static_cast<double>(s) + 0.5, 100, 0);   // 100 per second: 100/s weighted
    r.add_service(1, static_cast<double>(s) + 0.5, 100, 0);   // 100 per second: 50/s weighted
  }
  // Both backlogged in [0, 5) (warm-up [0, 2) excluded: run is buckets 2–4)
  // and in [7, 10) (buckets 7–9); b not in 5 and 6.
  backlog(r, 0, 0, 10);
  backlog(r, 1, 0, 5);
  backlog(r, 1, 7, 10);
  // Run 2–4: gap grows 50 per bucket → 150. Run 7–9: also 150. With b
  // doing better in the second run it would be smaller: make it so.
  r.add_service(1, 7.5, 100, 0);  // b gets +50 weighted in bucket 7: gap 0 after it, then 50, 100
  EXPECT_DOUBLE_EQ(build_report(r, "x").max_weighted_gap, 150);

  RunRecorder lonely({"a", "b"}, {1, 1}, ServiceWeights{}, 10, 0);
  backlog(lonely, 0, 0, 10);
  lonely.add_service(0, 1, 100, 100);
  EXPECT_EQ(build_report(lonely, "x").max_weighted_gap, 0);
}

TEST(WorkloadReport, GapWithManyTenantsPairsTheExtremes) {
  // 60 backlogged tenants, tenant k served k tokens per second: the largest
  // gap is between 0 and 59 over the whole run (59 × 10), and survives the cap.
  std::vector<std::string> names;
  for (int k = 0; k < 60; ++k) names.push_back("t" + std::to_string(k));
  RunRecorder r(names, std::vector<double>(60, 1.0), ServiceWeights{.w_input = 1, .w_output = 0}, 10, 0);
  for (std::uint32_t t = 0; t < 60; ++t) {
    backlog(r, t, 0, 10);
    for (int s = 0; s < 10; ++s) r.add_service(t, s + 0.5, t, 0);
  }
  EXPECT_DOUBLE_EQ(build_report(r, "x").max_weighted_gap, 590);
}

}  // namespace
}  // namespace sluice::workload
