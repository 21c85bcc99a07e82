#include <gtest/gtest.h>

#include <string>

#include "sluice/workload/report.h"

namespace sluice::workload {
namespace {

std::size_t count(const std::string& text, std::string_view what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + what.size())) ++n;
  return n;
}

RunRecorder small_run() {
  RunRecorder r({"acme", "globex"}, {1, 2}, ServiceWeights{}, 3, 1);
  r.add_service(0, 0.5, 10, 5);    // 20
  r.add_service(1, 1.2, 100, 0);   // 100
  r.add_service(0, 2.9, 0, 10);    // 20
  r.sample_backlog(0, 0.5, true);
  r.sample_backlog(1, 1.5, true);
  r.sample_backlog(1, 2.5, false);
  r.add_request(RequestRecord{.tenant = 0, .sent_s = 1.5, .outcome = Outcome::kOk, .ttft_s = 0.012, .e2e_s = 0.25});
  r.add_request(RequestRecord{.tenant = 1, .sent_s = 1.5, .outcome = Outcome::kQueueTimeout});
  return r;
}

TEST(WorkloadOutput, CsvHasOneRowPerBucketAndTenant) {
  EXPECT_EQ(service_csv(small_run()),
            "time_s,tenant,service,cumulative_service,backlogged\n"
            "1,acme,20,20,1\n"
            "1,globex,0,0,0\n"
            "2,acme,0,20,0\n"
            "2,globex,100,100,1\n"
            "3,acme,20,40,0\n"
            "3,globex,0,100,0\n");
}

TEST(WorkloadOutput, CsvLastBucketEndsAtTheDuration) {
  RunRecorder r({"a"}, {1}, ServiceWeights{}, 2.5, 0);
  const std::string csv = service_csv(r);
  EXPECT_NE(csv.find("\n2.5,a,0,0,0\n"), std::string::npos) << csv;
  EXPECT_EQ(count(csv, "\n"), 4u);  // header + 3 buckets
}

TEST(WorkloadOutput, SvgIsAChartWithOneLinePerTenant) {
  const std::string svg = service_svg(small_run(), "vtc <weights 1:2>");
  EXPECT_TRUE(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\"")) << svg.substr(0, 80);
  EXPECT_TRUE(svg.ends_with("</svg>\n"));
  EXPECT_EQ(count(svg, "<polyline"), 2u);
  EXPECT_EQ(count(svg, "</polyline>"), 2u);
  EXPECT_NE(svg.find("vtc &lt;weights 1:2&gt;"), std::string::npos);  // title, escaped
  EXPECT_NE(svg.find("acme (weight 1)"), std::string::npos);          // legend
  EXPECT_NE(svg.find("globex (weight 2)"), std::string::npos);
  EXPECT_NE(svg.find("time (s)"), std::string::npos);
  EXPECT_NE(svg.find("warm-up"), std::string::npos);
  EXPECT_EQ(svg.find("<weights"), std::string::npos);
  // Every element that opens closes: as many '<' as '>'.
  EXPECT_EQ(count(svg, "<"), count(svg, ">"));
}

TEST(WorkloadOutput, ReportTable) {
  const std::string text = format_report(build_report(small_run(), "load"));
  EXPECT_NE(text.find("load (measured 1-3 s"), std::string::npos) << text;
  EXPECT_NE(text.find("tenant"), std::string::npos);
  EXPECT_NE(text.find("ttft p99 ms"), std::string::npos);
  EXPECT_NE(text.find("qtime:1"), std::string::npos) << text;
  EXPECT_NE(text.find("queue_timeout"), std::string::npos) << text;  // the legend of the short names
  EXPECT_NE(text.find("Jain's index"), std::string::npos);
  EXPECT_NE(text.find("max weighted service gap"), std::string::npos);
  // acme: 20 service of 120 in the window [1, 3] → 16.7%; ttft 12 ms.
  const auto acme = text.substr(text.find("\nacme"), text.find('\n', text.find("\nacme") + 1) - text.find("\nacme"));
  EXPECT_NE(acme.find("16.7%"), std::string::npos) << acme;
  EXPECT_NE(acme.find(" 12.0 "), std::string::npos) << acme;
  EXPECT_NE(text.find("\ntotal"), std::string::npos);
}

TEST(WorkloadOutput, ComparisonSideBySide) {
  RunReport vtc = build_report(small_run(), "vtc");
  RunReport fcfs = build_report(small_run(), "fcfs");
  fcfs.tenants.pop_back();  // a tenant missing from one run shows "-"
  const std::string text = format_comparison({vtc, fcfs});
  EXPECT_NE(text.find("vtc share"), std::string::npos) << text;
  EXPECT_NE(text.find("fcfs ttft p99 ms"), std::string::npos) << text;
  EXPECT_NE(text.find("Jain's index"), std::string::npos) << text;
  EXPECT_NE(text.find("max gap (tokens)"), std::string::npos) << text;
  const auto globex = text.substr(text.find("\nglobex"), text.find('\n', text.find("\nglobex") + 1) - text.find("\nglobex"));
  EXPECT_TRUE(globex.ends_with("-")) << globex;
}

}  // namespace
}  // namespace sluice::workload
