#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "sluice/obs/access_log.h"
#include "sluice/obs/gateway_metrics.h"
#include "sluice/obs/histogram.h"

namespace sluice::obs {
namespace {

TEST(ObsHistogram, CumulativeBucketsSumAndCount) {
  Histogram h({0.1, 1, 10});
  h.observe(0.05);
  h.observe(0.1);  // le is inclusive
  h.observe(5);
  h.observe(50);
  std::string out;
  h.render(out, "x", "a=\"b\"");
  EXPECT_NE(out.find("x_bucket{a=\"b\",le=\"0.1\"} 2\n"), std::string::npos) << out;
  EXPECT_NE(out.find("x_bucket{a=\"b\",le=\"1\"} 2\n"), std::string::npos) << out;
  EXPECT_NE(out.find("x_bucket{a=\"b\",le=\"10\"} 3\n"), std::string::npos) << out;
  EXPECT_NE(out.find("x_bucket{a=\"b\",le=\"+Inf\"} 4\n"), std::string::npos) << out;
  EXPECT_NE(out.find("x_count{a=\"b\"} 4\n"), std::string::npos) << out;
  EXPECT_NEAR(h.sum(), 55.15, 1e-6);
}

TEST(ObsGatewayMetrics, SeriesAreStableAndRendered) {
  GatewayMetrics m;
  RequestSeries* s = m.series("acme", "m\"1");
  EXPECT_EQ(s, m.series("acme", "m\"1"));
  s->count_status(200);
  s->count_status(200);
  s->count_status(418);
  s->prompt_tokens += 7;
  std::string out;
  m.render(out);
  EXPECT_NE(out.find("sluice_requests_total{tenant=\"acme\",model=\"m\\\"1\",status=\"200\"} 2"), std::string::npos) << out;
  EXPECT_NE(out.find("status=\"other\"} 1"), std::string::npos) << out;
  EXPECT_NE(out.find("sluice_prompt_tokens_total{tenant=\"acme\",model=\"m\\\"1\"} 7"), std::string::npos) << out;
}

TEST(ObsAccessLog, OneJsonLineWithoutPromptFields) {
  AccessRecord r;
  r.request_id = "abc";
  r.tenant = "acme";
  r.model = "m";
  r.instance = "m/0";
  r.method = "POST";
  r.path = "/v1/chat/completions";
  r.status = 200;
  r.stream = true;
  r.prompt_tokens = 10;
  r.completion_tokens = 3;
  r.total_ms = 12.5;
  const std::string line = format_access_record(r, "2026-01-01T00:00:00.000Z");
  EXPECT_EQ(line.find('\n'), std::string::npos);
  auto j = nlohmann::json::parse(line);
  EXPECT_EQ(j["tenant"], "acme");
  EXPECT_EQ(j["status"], 200);
  EXPECT_EQ(j["stream"], true);
  EXPECT_EQ(j["completion_tokens"], 3);
  EXPECT_FALSE(j.contains("error"));
  r.error_code = "bad\"code";
  EXPECT_EQ(nlohmann::json::parse(format_access_record(r, "t"))["error"], "bad\"code");
}

}  // namespace
}  // namespace sluice::obs
