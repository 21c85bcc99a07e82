// Fleet-wide fairness, live: three gateway replicas in front of one
// engine-sim, sharing their fair-queue counters through a real
// redis-server, with the load split unevenly on purpose (alpha reaches
// replica 1 only, beta all three). The tenants' shares of the service
// (prompt + 2 × completion tokens, summed over the replicas' /metrics)
// match one gateway's; without the sync alpha gets much less.
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <thread>

#include "harness.h"
#include "../support/redis_server.h"

namespace sluice::itest {
namespace {

constexpr std::string_view kAlphaKey = "sk-fair-alpha";
constexpr std::string_view kBetaKey = "sk-fair-beta";

/// One replica: equal weights; the engine's batch (12) is the bottleneck
/// every replica competes for (each may fill it alone).
std::string replica_config(std::uint16_t engine_port, const std::string& redis_url) {
  std::string yaml = "listen: {api: 127.0.0.1:0, admin: 127.0.0.1:0}\n" + admin_yaml() +
                     "server: {access_log: \"\", max_queue_wait: 60s}\n"
                     "tenants:\n"
                     "  - id: alpha\n"
                     "    api_keys: [sha256:f26ae79641fa0c2bc23417f9975c22c79e68b7cf81484acf4c7ee02f865ff965]\n"
                     "    models: [\"*\"]\n"
                     "  - id: beta\n"
                     "    api_keys: [sha256:e68be7d56e357bbc039a94680c6bfbecd9700d308dcc27833662f616f64f2320]\n"
                     "    models: [\"*\"]\n"
                     "models:\n"
                     "  - name: small\n"
                     "    source: static\n"
                     "    static: {endpoints: [http://127.0.0.1:" +
                     std::to_string(engine_port) +
                     "]}\n"
                     "    scheduler: {policy: vtc, max_in_flight_per_instance: 12, max_engine_waiting: 1,\n"
                     "                engine_metrics_interval: 50ms}\n";
  if (!redis_url.empty()) yaml += "cluster: {redis: \"" + redis_url + "\", fairness_sync_interval: 20ms}\n";
  return yaml;
}

/// prompt + 2 × completion tokens of `tenant`, summed over the gateways.
double service(const std::vector<std::unique_ptr<Gateway>>& gateways, const std::string& tenant) {
  double total = 0;
  for (const auto& g : gateways) {
    const std::string text = g->metrics();
    total += metric_value(text, "sluice_prompt_tokens_total", {{"tenant", tenant}, {"model", "small"}}).value_or(0);
    total += 2 * metric_value(text, "sluice_completion_tokens_total", {{"tenant", tenant}, {"model", "small"}})
                     .value_or(0);
  }
  return total;
}

/// Closed-loop clients: `alpha` threads on gateway 0, `beta` threads on each
/// gateway; alpha's share of the service in [warmup, warmup + window].
double alpha_share(const std::vector<std::unique_ptr<Gateway>>& gateways, int alpha, int beta_per_gateway,
                   Duration warmup, Duration window) {
  std::atomic<bool> stop{false};
  std::atomic<int> failed{0};
  std::mutex mu;
  std::string first_failure;
  std::vector<std::thread> clients;
  const auto client = [&](std::uint16_t port, std::string_view key) {
    while (!stop.load()) {
      const Response r = post_json(port, "/v1/chat/completions", chat_body("small", "fair?", 24), key, {}, 20000ms);
      if (r.status != 200 && !stop.load()) {
        ++failed;
        std::lock_guard lock(mu);
        if (first_failure.empty()) first_failure = std::to_string(r.status) + " " + r.error + " " + r.body;
      }
    }
  };
  for (int i = 0; i < alpha; ++i) clients.emplace_back(client, gateways[0]->api_port(), kAlphaKey);
  for (const auto& g : gateways) {
    for (int i = 0; i < beta_per_gateway; ++i) clients.emplace_back(client, g->api_port(), kBetaKey);
  }
  std::this_thread::sleep_for(warmup);
  const double a0 = service(gateways, "alpha"), b0 = service(gateways, "beta");
  std::this_thread::sleep_for(window);
  const double a1 = service(gateways, "alpha"), b1 = service(gateways, "beta");
  stop = true;
  for (auto& t : clients) t.join();
  EXPECT_EQ(failed.load(), 0) << first_failure;
  const double a = a1 - a0, b = b1 - b0;
  EXPECT_GT(a + b, 0);
  return a + b > 0 ? a / (a + b) : 0;
}

std::vector<std::unique_ptr<Gateway>> start_gateways(int n, std::uint16_t engine_port, const std::string& redis_url) {
  std::vector<std::unique_ptr<Gateway>> out;
  for (int i = 0; i < n; ++i) {
    out.push_back(std::make_unique<Gateway>(replica_config(engine_port, redis_url)));
    EXPECT_TRUE(out.back()->start()) << out.back()->error();
    // Serving once the engine has passed its health check.
    const std::uint16_t port = out.back()->api_port();
    EXPECT_TRUE(wait_until(
        [&] { return post_json(port, "/v1/chat/completions", chat_body("small", "up?", 1), kAlphaKey).status == 200; },
        10000ms, 50ms));
  }
  return out;
}

TEST(ReplicasFairnessTest, ThreeReplicasSplitUnevenlyShareLikeOneGateway) {
  sluice::testing::RedisServer redis;
  if (!redis.start()) GTEST_SKIP() << redis.error();
  EngineSim engine({"--profile", "llama-3.1-8b-h100", "--served-model-name", "small", "--max-num-seqs", "12"});
  ASSERT_TRUE(engine.start()) << engine.error();

  // One gateway: every client on it.
  double single = 0;
  {
    auto one = start_gateways(1, engine.port(), "");
    ASSERT_FALSE(HasFailure());
    single = alpha_share(one, 24, 24, 3000ms, 8000ms);
  }
  // Three replicas, synced through Redis.
  double synced = 0;
  {
    auto three = start_gateways(3, engine.port(), redis.url());
    ASSERT_FALSE(HasFailure());
    synced = alpha_share(three, 24, 8, 3000ms, 10000ms);
    for (const auto& g : three) {
      EXPECT_EQ(metric_value(g->metrics(), "sluice_cluster_fairness_synced"), 1.0);
    }
  }
  // Three replicas, each fair on its own.
  double alone = 0;
  {
    auto three = start_gateways(3, engine.port(), "");
    ASSERT_FALSE(HasFailure());
    alone = alpha_share(three, 24, 8, 3000ms, 8000ms);
  }
  std::printf("alpha's share: one gateway %.3f, three replicas synced %.3f, three replicas not synced %.3f\n", single,
              synced, alone);
  EXPECT_NEAR(single, 0.5, 0.05);
  EXPECT_NEAR(synced, single, 0.05);
  EXPECT_LT(alone, synced);
}

}  // namespace
}  // namespace sluice::itest
