// Routes against live engine-sim pools: a 90/10 split lands within ±3% over
// 10,000 requests, a 20% mirror copies its share to the shadow pool without
// the client seeing it, a header-matched drill route aborts with the fault
// status, and a sticky split keeps each session on one side.
#include <atomic>
#include <iostream>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "harness.h"

namespace sluice::itest {
namespace {

std::string routes_config() {
  return make_config("shutdown_grace: 1s",
                     "  - name: small\n"
                     "    source: sim\n"
                     "    sim: {instances: 1, profile: instant}\n"
                     "  - name: v2\n"
                     "    source: sim\n"
                     "    sim: {instances: 1, profile: instant}\n"
                     "  - name: shadow\n"
                     "    source: sim\n"
                     "    sim: {instances: 1, profile: instant}\n"
                     "routes:\n"
                     "  - name: drill\n"
                     "    match: {headers: [{name: x-drill, exact: abort}]}\n"
                     "    model: small\n"
                     "    fault: {abort: {percent: 100, status: 418}}\n"
                     "  - name: sticky\n"
                     "    match: {model: chat, headers: [{name: x-session, prefix: s-}]}\n"
                     "    split: [{model: small, weight: 50}, {model: v2, weight: 50}]\n"
                     "    sticky: {header: x-session}\n"
                     "  - name: canary\n"
                     "    match: {model: chat}\n"
                     "    split: [{model: small, weight: 90}, {model: v2, weight: 10}]\n"
                     "    mirror: {model: shadow, percent: 20}\n");
}

/// Completed requests an engine counted (every finish reason).
double engine_served(std::uint16_t port) {
  const Response r = request(port, "GET", "/metrics", {}, {}, 2000ms);
  double total = 0;
  for (const char* reason : {"stop", "length", "abort"}) {
    total += metric_value(r.body, "vllm:request_success_total", {{"finished_reason", reason}}).value_or(0);
  }
  return total;
}

TEST(RoutesTest, CanarySplitMirrorAndFaults) {
  Gateway gateway(routes_config());
  ASSERT_TRUE(gateway.start()) << gateway.error();
  const auto small = gateway.instances("small");
  const auto v2 = gateway.instances("v2");
  const auto shadow = gateway.instances("shadow");
  ASSERT_EQ(small.size(), 1u);
  ASSERT_EQ(v2.size(), 1u);
  ASSERT_EQ(shadow.size(), 1u);

  constexpr int kRequests = 10000;
  constexpr int kThreads = 4;
  std::atomic<int> next{0};
  std::mutex mu;
  std::vector<std::string> failures;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      while (next.fetch_add(1) < kRequests) {
        const Response r = post_json(gateway.api_port(), "/v1/chat/completions", chat_body("chat", "hi", 2), kAcmeKey, {},
                                     5000ms);
        if (r.status != 200) {
          std::lock_guard lock(mu);
          failures.push_back(std::to_string(r.status) + " " + r.error + " " + r.body);
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  ASSERT_TRUE(failures.empty()) << failures.size() << " failed, e.g. " << failures.front();

  const std::string metrics = gateway.metrics();
  const double to_small = metric_value(metrics, "sluice_route_split_total", {{"route", "canary"}, {"target", "small"}}).value_or(0);
  const double to_v2 = metric_value(metrics, "sluice_route_split_total", {{"route", "canary"}, {"target", "v2"}}).value_or(0);
  EXPECT_EQ(to_small + to_v2, kRequests);
  EXPECT_NEAR(to_v2 / kRequests, 0.10, 0.03) << "v2 got " << to_v2;
  // The engines agree: what the split said is what they served.
  EXPECT_EQ(engine_served(v2[0].port), to_v2);
  EXPECT_EQ(engine_served(small[0].port), to_small);

  // The mirror: about 20% copied to the shadow pool, none of it seen by clients.
  ASSERT_TRUE(wait_until([&] {
    const std::string m = gateway.metrics();
    return metric_value(m, "sluice_route_mirrored_total", {{"route", "canary"}}).value_or(0) +
               metric_value(m, "sluice_route_mirror_dropped_total", {{"route", "canary"}}).value_or(0) >=
           0.15 * kRequests;
  }, 3000ms));
  const std::string after = gateway.metrics();
  const double mirrored = metric_value(after, "sluice_route_mirrored_total", {{"route", "canary"}}).value_or(0);
  EXPECT_NEAR(mirrored / kRequests, 0.20, 0.03) << "mirrored " << mirrored;
  EXPECT_TRUE(wait_until([&] { return engine_served(shadow[0].port) >= mirrored; }, 2000ms));
  std::cout << "[ routes ] 90/10 split over " << kRequests << " requests: " << to_v2 / kRequests * 100
            << "% to v2; 20% mirror copied " << mirrored / kRequests * 100 << "%\n";
  // Mirrors are not charged: acme's request count is the clients' 10,000 only.
  EXPECT_EQ(metric_value(after, "sluice_route_requests_total", {{"route", "canary"}}).value_or(0), kRequests);

  // Fault injection: the drill route answers 418 with an OpenAI-shaped body.
  const Response aborted = post_json(gateway.api_port(), "/v1/chat/completions", chat_body("small", "hi", 2), kAcmeKey,
                                     {{"x-drill", "abort"}}, 3000ms);
  EXPECT_EQ(aborted.status, 418);
  EXPECT_EQ(aborted.json()["error"]["code"], "fault_injected") << aborted.body;
  EXPECT_EQ(metric_value(gateway.metrics(), "sluice_route_faults_total", {{"route", "drill"}, {"fault", "abort"}}), 1.0);

  // Sticky split: each session always lands on the same side.
  std::map<std::string, std::set<std::string>> sides;
  for (int round = 0; round < 3; ++round) {
    for (int s = 0; s < 20; ++s) {
      const std::string session = "s-" + std::to_string(s);
      const double before_v2 = engine_served(v2[0].port);
      const Response r = post_json(gateway.api_port(), "/v1/chat/completions", chat_body("chat", "hi", 2), kAcmeKey,
                                   {{"x-session", session}}, 3000ms);
      ASSERT_EQ(r.status, 200) << r.body;
      sides[session].insert(engine_served(v2[0].port) > before_v2 ? "v2" : "small");
    }
  }
  int on_v2 = 0;
  for (const auto& [session, seen] : sides) {
    EXPECT_EQ(seen.size(), 1u) << session << " moved between sides";
    on_v2 += seen.contains("v2") ? 1 : 0;
  }
  EXPECT_GT(on_v2, 0);
  EXPECT_LT(on_v2, 20);
  EXPECT_EQ(gateway.stop(), 0);
}

}  // namespace
}  // namespace sluice::itest
