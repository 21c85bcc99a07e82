// `sluice load` against a real gateway: a short two-tenant run on the
// `instant` engine profile (report, CSV, SVG), a bad workload file, and a
// gateway that is not there.
#include <fmt/format.h>

#include <sstream>

#include "harness.h"

namespace sluice::itest {
namespace {

/// The whitespace-separated cells of the report row that starts with `tenant`.
std::vector<std::string> report_row(const std::string& report, const std::string& tenant) {
  std::istringstream lines(report);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream cells(line);
    std::vector<std::string> row;
    for (std::string cell; cells >> cell;) row.push_back(cell);
    if (!row.empty() && row[0] == tenant) return row;
  }
  return {};
}

/// Rows of the CSV whose tenant column is `tenant`.
int csv_rows(const std::string& csv, const std::string& tenant) {
  int n = 0;
  std::istringstream lines(csv);
  for (std::string line; std::getline(lines, line);) {
    if (line.find("," + tenant + ",") != std::string::npos) ++n;
  }
  return n;
}

TEST(LoadTest, RunsAWorkloadAgainstTheGatewayAndReportsEveryTenant) {
  Gateway gateway(make_config("upstream_timeout: 8s, shutdown_grace: 1s",
                              "  - name: small\n"
                              "    source: sim\n"
                              "    sim: {instances: 1, profile: instant}\n"));
  ASSERT_TRUE(gateway.start()) << gateway.error();
  TempDir dir;
  // acme streams, globex does not and sets a priority header.
  const std::string workload = dir.write("w.yaml",
                                         "duration: 3s\n"
                                         "warmup: 1s\n"
                                         "model: small\n"
                                         "tenants:\n"
                                         "  - tenant: acme\n"
                                         "    api_key: sk-demo-acme\n"
                                         "    arrival: {process: poisson, rate: 40}\n"
                                         "    input_tokens: {dist: uniform, min: 20, max: 200}\n"
                                         "    output_tokens: {dist: uniform, min: 4, max: 32}\n"
                                         "  - tenant: globex\n"
                                         "    api_key: sk-demo-globex\n"
                                         "    arrival: {process: constant, rate: 20}\n"
                                         "    output_tokens: 16\n"
                                         "    stream: false\n"
                                         "    priority: batch\n");
  const std::string csv = dir.path() + "/out.csv";
  const std::string svg = dir.path() + "/out.svg";
  const CommandResult result =
      run_command({sluice_binary(), "load", "-w", workload, "--url", fmt::format("http://127.0.0.1:{}", gateway.api_port()),
                   "--csv", csv, "--chart", svg, "-q"},
                  20000ms);
  ASSERT_EQ(result.exit_code, 0) << result.out << result.err;

  for (const std::string tenant : {"acme", "globex"}) {
    const auto row = report_row(result.out, tenant);
    ASSERT_GE(row.size(), 4u) << result.out;
    // tenant, weight, sent, ok, …
    EXPECT_GT(std::stoi(row[3]), 0) << tenant << "\n" << result.out;
    EXPECT_EQ(row[2], row[3]) << "every request answered 200\n" << result.out;
  }
  EXPECT_NE(result.out.find("Jain's index"), std::string::npos) << result.out;

  const std::string csv_text = read_file(csv);
  EXPECT_TRUE(csv_text.starts_with("time_s,tenant,service,cumulative_service,backlogged\n")) << csv_text;
  EXPECT_EQ(csv_rows(csv_text, "acme"), 3) << csv_text;  // one per second
  EXPECT_EQ(csv_rows(csv_text, "globex"), 3) << csv_text;
  const std::string svg_text = read_file(svg);
  EXPECT_TRUE(svg_text.starts_with("<svg")) << svg_text.substr(0, 100);

  // The gateway saw exact prompt sizes: globex's 100-token default input.
  EXPECT_NE(gateway.stdout_text().find("\"tenant\":\"globex\""), std::string::npos);
  EXPECT_NE(gateway.stdout_text().find("\"prompt_tokens\":100,\"completion_tokens\":16"), std::string::npos);
}

TEST(LoadTest, BadWorkloadFileExitsTwoWithItsPosition) {
  TempDir dir;
  const std::string workload = dir.write("bad.yaml",
                                         "duration: 3s\n"
                                         "model: small\n"
                                         "tenants:\n"
                                         "  - tenant: acme\n"
                                         "    arrival: {process: poison, rate: 1}\n");
  const CommandResult result = run_command({sluice_binary(), "load", "-w", workload, "-q"}, 10000ms);
  EXPECT_EQ(result.exit_code, 2) << result.out << result.err;
  EXPECT_NE(result.err.find(workload + ":5:24: tenants[0].arrival.process: expected one of"), std::string::npos)
      << result.err;

  const CommandResult no_file = run_command({sluice_binary(), "load", "-q"}, 10000ms);
  EXPECT_EQ(no_file.exit_code, 2) << no_file.err;
}

TEST(LoadTest, UnreachableGatewayExitsOne) {
  TempDir dir;
  const std::string workload = dir.write("w.yaml",
                                         "duration: 1s\n"
                                         "model: small\n"
                                         "tenants:\n"
                                         "  - tenant: acme\n"
                                         "    api_key: sk-demo-acme\n"
                                         "    arrival: {process: constant, rate: 1}\n");
  // Port 1 on loopback: nothing listens there.
  const CommandResult result =
      run_command({sluice_binary(), "load", "-w", workload, "--url", "http://127.0.0.1:1", "-q"}, 10000ms);
  EXPECT_EQ(result.exit_code, 1) << result.out << result.err;
  EXPECT_NE(result.err.find("cannot reach 127.0.0.1:1"), std::string::npos) << result.err;
}

}  // namespace
}  // namespace sluice::itest
