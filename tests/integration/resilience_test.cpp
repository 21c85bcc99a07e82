// Resilient routing against real engine-sim processes with injected faults:
// an instance answering half its requests with 503 is ejected by outlier
// detection while retries hide the 503s from clients, and it comes back when
// its ejection ends; a hung instance is cut off by the per-try and
// first-token timeouts and its requests are retried on the other one.
#include <atomic>
#include <mutex>
#include <thread>

#include <algorithm>

#include "harness.h"

namespace sluice::itest {
namespace {

double instance_metric(const std::string& metrics, std::string_view name, const std::string& model,
                       const std::string& instance) {
  return metric_value(metrics, name, {{"model", model}, {"instance", instance}}).value_or(-1);
}

/// Clients sending non-streamed requests in a loop until stopped, counting
/// answers by status.
class SteadyLoad {
 public:
  SteadyLoad(std::uint16_t port, std::string model, int threads) {
    for (int t = 0; t < threads; ++t) {
      threads_.emplace_back([this, port, model] {
        while (!stop_.load()) {
          const Response r =
              post_json(port, "/v1/chat/completions", chat_body(model, "tick", 4), kAcmeKey, {}, 5000ms);
          std::lock_guard lock(mu_);
          ++total_;
          if (r.status != 200) failures_.push_back(std::to_string(r.status) + " " + r.error + " " + r.body);
        }
      });
    }
  }
  ~SteadyLoad() { stop(); }
  void stop() {
    stop_ = true;
    for (auto& t : threads_) if (t.joinable()) t.join();
  }
  int total() {
    std::lock_guard lock(mu_);
    return total_;
  }
  std::vector<std::string> failures() {
    std::lock_guard lock(mu_);
    return failures_;
  }

 private:
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  int total_ = 0;
  std::vector<std::string> failures_;
  std::vector<std::thread> threads_;
};

TEST(ResilienceTest, HalfFailingInstanceIsEjectedThenComesBack) {
  // Four clients: up to four retries at once, above the default budget's
  // floor of three (min_retry_concurrency), which would refuse some.
  Gateway gateway(make_config("shutdown_grace: 1s, retry: {min_retry_concurrency: 8}",
                              "  - name: small\n"
                              "    source: sim\n"
                              "    sim: {instances: 3, profile: instant}\n"
                              "    recovery: {replace_ejected: false}\n"
                              "    outlier_detection: {interval: 500ms, base_ejection_time: 2s, consecutive_5xx: 0,\n"
                              "                        failure_percentage_threshold: 40,\n"
                              "                        failure_percentage_request_volume: 10}\n"));
  ASSERT_TRUE(gateway.start()) << gateway.error();
  const auto engines = gateway.instances("small");
  ASSERT_EQ(engines.size(), 3u);
  const EngineInstance victim = engines[0];

  SteadyLoad load(gateway.api_port(), "small", 4);
  std::this_thread::sleep_for(300ms);
  ASSERT_TRUE(set_engine_fault(victim.port, {{"error_rate", 0.5}, {"error_status", 503}}));
  const auto faulted_at = Clock::now();
  ASSERT_TRUE(wait_until([&] { return instance_metric(gateway.metrics(), "sluice_instance_ejected", "small", victim.id) == 1; },
                         3000ms))
      << "the instance answering 50% 503s was not ejected";
  const auto ejected_after = std::chrono::duration_cast<Duration>(Clock::now() - faulted_at);
  ASSERT_TRUE(clear_engine_faults(victim.port));

  // While ejected, it gets (almost) nothing: only tries already under way.
  const std::string at_ejection = gateway.metrics();
  std::this_thread::sleep_for(1000ms);
  const std::string during = gateway.metrics();
  const double victim_tries = instance_metric(during, "sluice_instance_tries_total", "small", victim.id) -
                              instance_metric(at_ejection, "sluice_instance_tries_total", "small", victim.id);
  const double other_tries = instance_metric(during, "sluice_instance_tries_total", "small", engines[1].id) -
                             instance_metric(at_ejection, "sluice_instance_tries_total", "small", engines[1].id);
  EXPECT_LE(victim_tries, 4) << "an ejected instance kept getting traffic";
  EXPECT_GE(other_tries, 50) << "the others did not take the traffic";
  EXPECT_EQ(instance_metric(during, "sluice_instance_ejected", "small", victim.id), 1);

  // The ejection ends after base_ejection_time (2 s) and traffic returns.
  ASSERT_TRUE(wait_until([&] { return instance_metric(gateway.metrics(), "sluice_instance_ejected", "small", victim.id) == 0; },
                         3000ms))
      << "the ejection did not end";
  const double back_from = instance_metric(gateway.metrics(), "sluice_instance_tries_total", "small", victim.id);
  EXPECT_TRUE(wait_until([&] {
    return instance_metric(gateway.metrics(), "sluice_instance_tries_total", "small", victim.id) >= back_from + 50;
  }, 3000ms)) << "traffic did not return to the instance";
  load.stop();

  const std::string metrics = gateway.metrics();
  EXPECT_GE(load.total(), 1000) << "the steady load was too light to mean anything";  // ~1,000 under ASan
  const auto failures = load.failures();
  EXPECT_TRUE(failures.empty()) << failures.size() << " of " << load.total() << " requests failed, e.g. "
                                << failures.front() << " budget refusals "
                                << metric_value(metrics, "sluice_retry_budget_exhausted_total", {}).value_or(-1);
  EXPECT_GE(metric_value(metrics, "sluice_instance_ejections_total",
                         {{"model", "small"}, {"instance", victim.id}, {"reason", "failure_percentage"}})
                .value_or(0),
            1);
  EXPECT_GE(metric_value(metrics, "sluice_instance_retries_total",
                         {{"model", "small"}, {"instance", victim.id}, {"reason", "status"}})
                .value_or(0),
            1)
      << "the 503s were not retried";
  EXPECT_NE(gateway.stderr_text().find("ejected"), std::string::npos) << "the ejection is not logged";
  std::cout << "[ resilience ] ejected " << ejected_after.count() << " ms after the fault; " << load.total()
            << " requests, 0 failed\n";
  EXPECT_EQ(gateway.stop(), 0);
}

TEST(ResilienceTest, HungInstanceIsCutOffByTimeoutsAndRetried) {
  Gateway gateway(make_config("shutdown_grace: 1s, timeouts: {per_try: 400ms, first_token: 400ms}",
                              "  - name: small\n"
                              "    source: sim\n"
                              "    sim: {instances: 2, profile: instant}\n"));
  ASSERT_TRUE(gateway.start()) << gateway.error();
  const auto engines = gateway.instances("small");
  ASSERT_EQ(engines.size(), 2u);
  const EngineInstance victim = engines[0];
  ASSERT_TRUE(set_engine_fault(victim.port, {{"hang", true}}));

  for (int i = 0; i < 12; ++i) {
    const bool stream = i % 2 == 1;
    const auto sent = Clock::now();
    if (stream) {
      SseStream s(gateway.api_port(), "/v1/chat/completions", chat_body("small", "tick", 8, true), kAcmeKey, 3000ms);
      ASSERT_EQ(s.head().status, 200) << s.head().error;
      const auto events = s.read_all(3000ms);
      EXPECT_TRUE(s.ended() && !events.empty() && events.back().is_done()) << "stream " << i << " broke";
    } else {
      const Response r = post_json(gateway.api_port(), "/v1/chat/completions", chat_body("small", "tick", 8),
                                   kAcmeKey, {}, 3000ms);
      EXPECT_EQ(r.status, 200) << r.error << r.body << "\n" << gateway.stderr_text() << gateway.stdout_text();
    }
    const auto took = std::chrono::duration_cast<Duration>(Clock::now() - sent);
    EXPECT_LT(took, 1500ms) << "request " << i << " waited on the hung instance";
  }
  const std::string metrics = gateway.metrics();
  // Its tries were retried elsewhere: cut by the per-try timeout, or sooner
  // by the try watch (its streams silent while the other instance's went on).
  EXPECT_GE(metric_value(metrics, "sluice_upstream_retries_total", {}).value_or(0), 1) << metrics;
  // Ejected (three timeouts in a row, or stalled), and maybe already
  // replaced by the fleet, which replaces ejected instances.
  const auto instances = gateway.instances("small");
  const bool replaced = std::none_of(instances.begin(), instances.end(),
                                     [&](const EngineInstance& e) { return e.id == victim.id; });
  EXPECT_TRUE(replaced || instance_metric(metrics, "sluice_instance_ejected", "small", victim.id) == 1) << metrics;
  if (!replaced) {
    ASSERT_TRUE(clear_engine_faults(victim.port));  // a replaced engine was stopped
  }
  EXPECT_EQ(gateway.stop(), 0);
}

}  // namespace
}  // namespace sluice::itest
