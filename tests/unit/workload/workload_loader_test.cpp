#include <gtest/gtest.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "sluice/workload/workload.h"

namespace sluice::workload {
namespace {

/// The errors of loading `yaml` as "w.yaml"; empty if it loaded.
std::vector<std::string> errors_of(const std::string& yaml) {
  auto result = load_workload_text(yaml, "w.yaml");
  return result ? std::vector<std::string>{} : result.error();
}

std::string joined(const std::vector<std::string>& errors) {
  std::string out;
  for (const auto& e : errors) out += e + "\n";
  return out;
}

TEST(WorkloadLoader, ReadsEveryKey) {
  auto w = load_workload_text(R"(duration: 2m
warmup: 10s
seed: 42
model: llama-3.1-8b-instruct
stream: false
tenants:
  - tenant: acme
    api_key: sk-demo-acme
    arrival: {process: poisson, rate: 20}
    start: 5s
    stop: 100s
    input_tokens: {dist: uniform, min: 100, max: 300}
    output_tokens: {dist: exponential, mean: 200, max: 1000}
    stream: true
    model: mistral-7b-instruct
    priority: batch
  - tenant: globex
    arrival: {process: on_off, rate: 40, on: 10s, off: 500ms}
    output_tokens: 64
  - tenant: initech
    arrival: {process: ramp, from: 1, to: 40}
  - tenant: hooli
    arrival: {process: constant, rate: 0}
)",
                              "w.yaml");
  ASSERT_TRUE(w.has_value()) << joined(w.error());
  EXPECT_EQ(w->source_path, "w.yaml");
  EXPECT_EQ(w->duration_s, 120);
  EXPECT_EQ(w->warmup_s, 10);
  EXPECT_EQ(w->seed, 42u);
  ASSERT_EQ(w->tenants.size(), 4u);

  const TenantLoad& acme = w->tenants[0];
  EXPECT_EQ(acme.tenant, "acme");
  EXPECT_EQ(acme.api_key, "sk-demo-acme");
  EXPECT_EQ(acme.model, "mistral-7b-instruct");
  EXPECT_EQ(acme.priority, "batch");
  EXPECT_TRUE(acme.stream);
  EXPECT_EQ(acme.arrival.kind, ArrivalKind::kPoisson);
  EXPECT_EQ(acme.arrival.rate, 20);
  EXPECT_EQ(acme.start_s, 5);
  EXPECT_EQ(acme.stop_s, 100);
  EXPECT_EQ(acme.input_tokens.kind, LengthKind::kUniform);
  EXPECT_EQ(acme.input_tokens.min, 100);
  EXPECT_EQ(acme.input_tokens.max, 300);
  EXPECT_EQ(acme.output_tokens.kind, LengthKind::kExponential);
  EXPECT_EQ(acme.output_tokens.mean, 200);
  EXPECT_EQ(acme.output_tokens.min, 1);
  EXPECT_EQ(acme.output_tokens.max, 1000);

  const TenantLoad& globex = w->tenants[1];
  EXPECT_EQ(globex.model, "llama-3.1-8b-instruct");  // the top-level default
  EXPECT_FALSE(globex.stream);                       // the top-level default
  EXPECT_EQ(globex.arrival.kind, ArrivalKind::kOnOff);
  EXPECT_EQ(globex.arrival.rate, 40);
  EXPECT_EQ(globex.arrival.on_s, 10);
  EXPECT_EQ(globex.arrival.off_s, 0.5);
  EXPECT_EQ(globex.output_tokens.kind, LengthKind::kFixed);
  EXPECT_EQ(globex.output_tokens.mean, 64);

  EXPECT_EQ(w->tenants[2].arrival.kind, ArrivalKind::kRamp);
  EXPECT_EQ(w->tenants[2].arrival.from_rate, 1);
  EXPECT_EQ(w->tenants[2].arrival.to_rate, 40);
  EXPECT_EQ(w->tenants[3].arrival.kind, ArrivalKind::kConstant);
  EXPECT_EQ(w->tenants[3].arrival.rate, 0);
}

TEST(WorkloadLoader, Defaults) {
  auto w = load_workload_text("model: m\ntenants:\n  - tenant: a\n    arrival: {process: poisson, rate: 1}\n", "w.yaml");
  ASSERT_TRUE(w.has_value()) << joined(w.error());
  EXPECT_EQ(w->duration_s, 60);
  EXPECT_EQ(w->warmup_s, 0);
  EXPECT_EQ(w->seed, 1u);
  const TenantLoad& t = w->tenants[0];
  EXPECT_EQ(t.model, "m");
  EXPECT_TRUE(t.stream);
  EXPECT_EQ(t.api_key, "");
  EXPECT_EQ(t.priority, "");
  EXPECT_EQ(t.start_s, 0);
  EXPECT_EQ(t.stop_s, 60);
  EXPECT_EQ(t.input_tokens.kind, LengthKind::kFixed);
  EXPECT_EQ(t.input_tokens.mean, 100);
  EXPECT_EQ(t.output_tokens.kind, LengthKind::kFixed);
  EXPECT_EQ(t.output_tokens.mean, 100);
  EXPECT_EQ(t.output_tokens.max, 4096);
}

TEST(WorkloadLoader, LargeMeansRaiseTheDefaultMax) {
  auto w = load_workload_text(R"(model: m
tenants:
  - tenant: a
    arrival: {process: poisson, rate: 1}
    input_tokens: 8000
    output_tokens: {dist: exponential, mean: 1000}
)",
                              "w.yaml");
  ASSERT_TRUE(w.has_value()) << joined(w.error());
  EXPECT_EQ(w->tenants[0].input_tokens.max, 8000);
  EXPECT_EQ(w->tenants[0].output_tokens.max, 10000);
}

TEST(WorkloadLoader, ApiKeyFromTheEnvironment) {
  ::setenv("SLUICE_TEST_WORKLOAD_KEY", "sk-from-env", 1);
  auto w = load_workload_text(R"(model: m
tenants:
  - tenant: a
    api_key: {env: SLUICE_TEST_WORKLOAD_KEY}
    arrival: {process: poisson, rate: 1}
)",
                              "w.yaml");
  ASSERT_TRUE(w.has_value()) << joined(w.error());
  EXPECT_EQ(w->tenants[0].api_key, "sk-from-env");

  ::unsetenv("SLUICE_TEST_WORKLOAD_KEY_UNSET");
  EXPECT_EQ(errors_of(R"(model: m
tenants:
  - tenant: a
    api_key: {env: SLUICE_TEST_WORKLOAD_KEY_UNSET}
    arrival: {process: poisson, rate: 1}
)"),
            std::vector<std::string>{
                "w.yaml:4:20: tenants[0].api_key.env: environment variable SLUICE_TEST_WORKLOAD_KEY_UNSET is not set"});
}

TEST(WorkloadLoader, EveryErrorWithItsPosition) {
  const auto errors = errors_of(R"(duration: soon
seeds: 3
tenants:
  - tenant: a
    arival: {process: poisson, rate: 1}
  - tenant: b
    arrival: {process: poison, rate: 1}
    input_tokens: {dist: uniform, min: 300, max: 100}
  - tenant: c
    arrival: {process: poisson, rate: -2, on: 5s}
    priority: urgent
)");
  EXPECT_EQ(errors,
            (std::vector<std::string>{
                "w.yaml:1:11: duration: expected a positive duration such as \"30s\", \"250ms\" or \"5m\", got \"soon\"",
                "w.yaml:2:1: seeds: unknown key (did you mean \"seed\"?)",
                "w.yaml:4:5: tenants[0].model: missing required key (no top-level model either)",
                "w.yaml:4:5: tenants[0].arrival: missing required key",
                "w.yaml:5:5: tenants[0].arival: unknown key (did you mean \"arrival\"?)",
                "w.yaml:6:5: tenants[1].model: missing required key (no top-level model either)",
                "w.yaml:7:24: tenants[1].arrival.process: expected one of constant, poisson, on_off, ramp, got "
                "\"poison\" (did you mean \"poisson\"?)",
                "w.yaml:8:50: tenants[1].input_tokens.max: must be at least min (300), got 100",
                "w.yaml:9:5: tenants[2].model: missing required key (no top-level model either)",
                "w.yaml:10:39: tenants[2].arrival.rate: expected a non-negative number, got \"-2\"",
                "w.yaml:10:47: tenants[2].arrival.on: not allowed for process poisson",
                "w.yaml:11:15: tenants[2].priority: expected one of critical, standard, batch, got \"urgent\"",
            }))
      << joined(errors);
}

TEST(WorkloadLoader, WindowsMustFitTheRun) {
  const auto errors = errors_of(R"(duration: 30s
warmup: 30s
model: m
tenants:
  - tenant: a
    arrival: {process: poisson, rate: 1}
    stop: 40s
  - tenant: b
    arrival: {process: poisson, rate: 1}
    start: 20s
    stop: 10s
  - tenant: c
    arrival: {process: on_off, rate: 1, on: 1s}
)");
  EXPECT_EQ(errors, (std::vector<std::string>{
                        "w.yaml:2:9: warmup: must be shorter than duration (30s), got 30s",
                        "w.yaml:7:11: tenants[0].stop: must not be after the end of the run (duration 30s), got 40s",
                        "w.yaml:10:12: tenants[1].start: must be before stop (10s), got 20s",
                        "w.yaml:13:14: tenants[2].arrival.off: missing required key",
                    }))
      << joined(errors);
}

TEST(WorkloadLoader, NoTenantsAndBadYaml) {
  EXPECT_EQ(errors_of("model: m\ntenants: []\n"),
            std::vector<std::string>{"w.yaml:2:10: tenants: expected at least one tenant"});
  EXPECT_EQ(errors_of("model: m\n"), std::vector<std::string>{"w.yaml:1:1: tenants: missing required key"});
  const auto bad = errors_of("tenants: [\n");
  ASSERT_EQ(bad.size(), 1u);
  EXPECT_TRUE(bad[0].starts_with("w.yaml:")) << bad[0];
  EXPECT_NE(bad[0].find("invalid YAML"), std::string::npos) << bad[0];
}

TEST(WorkloadLoader, UnreadableFile) {
  auto w = load_workload_file("/nonexistent/w.yaml");
  ASSERT_FALSE(w.has_value());
  ASSERT_EQ(w.error().size(), 1u);
  EXPECT_TRUE(w.error()[0].starts_with("/nonexistent/w.yaml: cannot read the file")) << w.error()[0];
}

TEST(WorkloadLoader, ExampleWorkloadsLoad) {
  for (const char* name : {"two-tenants-overload", "weights-1-2-3-4", "on-off", "short-vs-long", "flood-10x"}) {
    const std::string path = std::string(SLUICE_SOURCE_DIR) + "/examples/workloads/" + name + ".yaml";
    auto w = load_workload_file(path);
    ASSERT_TRUE(w.has_value()) << joined(w.error());
    EXPECT_EQ(w->duration_s, 60) << name;
    for (const auto& t : w->tenants) {
      EXPECT_EQ(t.model, "llama-3.1-8b-instruct") << name;
      EXPECT_EQ(t.api_key, "sk-fair-" + t.tenant) << name;
    }
  }
}

}  // namespace
}  // namespace sluice::workload
