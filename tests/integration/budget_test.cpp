// Budgets end to end: many requests at once against a tenant's budget.
// Admitted usage stays within the limit while requests say how much they
// may use (max_tokens), and passes it by at most the in-flight requests'
// overrun when they do not; refusals are 429 insufficient_quota naming the
// budget; /metrics shows spent, limit, soft threshold and refusals; a key
// issued through the admin API with a budget of its own is held to it while
// its tenant's other keys are not.
//
// One gateway serves the suite; each test has a tenant of its own.
#include <cmath>
#include <cstdio>
#include <latch>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "harness.h"

namespace sluice::itest {
namespace {

// Plain keys; the config stores their SHA-256 (printf %s "$KEY" | sha256sum).
constexpr std::string_view kTokensKey = "sk-budget-tokens";  // 600 tokens in total
constexpr std::string_view kUsdKey = "sk-budget-usd";        // $0.05 per month, soft 50%
constexpr int kParallel = 40;

// The usd model's prices, per million tokens.
constexpr double kInputPrice = 100;
constexpr double kOutputPrice = 1000;
constexpr double kUsdLimit = 0.05;
constexpr double kTokenLimit = 600;

std::string budget_config() {
  return "listen: {api: 127.0.0.1:0, admin: 127.0.0.1:0}\n"
         "server: {request_read_timeout: 5s, shutdown_grace: 1s}\n"
         "tenants:\n"
         "  - id: budtok\n"
         "    api_keys: [sha256:0d7cbe4450f4a9f54b59316ae764b55767220684f58b04f102c1cd778ca0e361]\n"
         "    budgets: [{limit: 600, unit: tokens, period: total}]\n"
         "  - id: budusd\n"
         "    api_keys: [sha256:4bebdc1f71696ab7848eb526896e0828e5ec43084fab715b1cfb0f433f0ef999]\n"
         "    budgets: [{limit: 0.05, unit: usd, period: month, soft: 50%}]\n"
         "models:\n"
         // 8B timing at real speed: 20 tokens take ~150 ms, so the 40
         // requests overlap.
         "  - name: paced\n"
         "    source: sim\n"
         "    sim: {instances: 2, profile: llama-3.1-8b-h100}\n"
         // instant answers 16 tokens when max_tokens is absent while the
         // gateway assumes 2: each request overruns its hold by 14 tokens.
         "  - name: priced\n"
         "    source: sim\n"
         "    sim: {instances: 1, profile: instant}\n"
         "    default_max_tokens: 2\n"
         "    pricing: {input_per_million: 100, output_per_million: 1000}\n" +
         admin_yaml();
}

class BudgetTest : public SharedGatewayTest<BudgetTest> {
 public:
  static std::string config() { return budget_config(); }

 protected:
  double metric(std::string_view name, const std::map<std::string, std::string>& labels) const {
    return metric_value(gateway_->metrics(), name, labels).value_or(-1);
  }

  /// Sends `body` kParallel times at once.
  std::vector<Response> burst(const Json& body, std::string_view key) const {
    std::vector<Response> out(kParallel);
    std::vector<std::thread> threads;
    std::latch go(kParallel);
    for (int i = 0; i < kParallel; ++i) {
      threads.emplace_back([&, i] {
        go.arrive_and_wait();
        out[i] = post_json(api(), "/v1/chat/completions", body, key, {}, 20000ms);
      });
    }
    for (auto& t : threads) t.join();
    return out;
  }
};

std::int64_t usage_tokens(const Response& res) {
  const Json usage = res.json()["usage"];
  return usage.value("prompt_tokens", 0) + usage.value("completion_tokens", 0);
}

TEST_F(BudgetTest, ConcurrentRequestsNeverPassATokenBudgetTheyFullyDeclare) {
  const std::vector<Response> all = burst(chat_body("paced", "count to ten please", 20), kTokensKey);
  std::int64_t used = 0;
  int admitted = 0, refused = 0;
  for (const Response& res : all) {
    if (res.status == 200) {
      ++admitted;
      used += usage_tokens(res);
      continue;
    }
    ASSERT_TRUE(is_openai_error(res, 429, "insufficient_quota")) << res.status << " " << res.error << " " << res.body;
    ++refused;
    EXPECT_EQ(res.json()["error"].value("type", ""), "insufficient_quota") << res.body;
    const std::string message = res.json()["error"].value("message", "");
    EXPECT_NE(message.find("tenant budtok has a budget of 600 tokens in total"), std::string::npos) << message;
    EXPECT_NE(message.find("It never resets"), std::string::npos) << message;
    EXPECT_EQ(res.header("Retry-After"), "") << "a total budget does not come back by waiting";
  }
  EXPECT_GT(admitted, 0);
  EXPECT_GT(refused, 0);
  // Each request holds its prompt + 20 tokens and uses at most that: the
  // limit holds exactly, however the 40 interleave.
  EXPECT_LE(used, kTokenLimit);
  RecordProperty("admitted", admitted);
  RecordProperty("used_tokens", static_cast<int>(used));
  std::printf("[budget] tokens: %d admitted, %d refused, %lld of %.0f tokens used (overshoot %lld)\n", admitted,
              refused, static_cast<long long>(used), kTokenLimit,
              static_cast<long long>(std::max<double>(0, static_cast<double>(used) - kTokenLimit)));

  const std::map<std::string, std::string> labels{{"tenant", "budtok"}, {"scope", "tenant"}, {"unit", "tokens"}};
  EXPECT_EQ(metric("sluice_budget_spent", labels), static_cast<double>(used));
  EXPECT_EQ(metric("sluice_budget_limit", labels), kTokenLimit);
  EXPECT_EQ(metric("sluice_budget_held", labels), 0);
  EXPECT_EQ(metric("sluice_budget_refusals_total", {{"tenant", "budtok"}}), refused);
}

TEST_F(BudgetTest, OverrunsPassAUsdBudgetByAtMostTheInFlightOverrun) {
  // No max_tokens: the gateway holds 2 completion tokens, the engine writes 16.
  Json body = chat_body("priced", "count to ten please", 1);
  body.erase("max_tokens");
  const std::vector<Response> all = burst(body, kUsdKey);
  double cost = 0, overrun = 0;
  int admitted = 0, refused = 0;
  for (const Response& res : all) {
    if (res.status == 200) {
      ++admitted;
      const Json usage = res.json()["usage"];
      const double prompt = usage.value("prompt_tokens", 0), completion = usage.value("completion_tokens", 0);
      cost += (prompt * kInputPrice + completion * kOutputPrice) / 1e6;
      overrun += (completion - 2) * kOutputPrice / 1e6;  // the prompt estimate is exact on engine-sim
      continue;
    }
    ASSERT_TRUE(is_openai_error(res, 429, "insufficient_quota")) << res.status << " " << res.error << " " << res.body;
    ++refused;
    const std::string message = res.json()["error"].value("message", "");
    EXPECT_NE(message.find("tenant budusd has a budget of $0.05 per month"), std::string::npos) << message;
    EXPECT_NE(message.find("It resets at "), std::string::npos) << message;
    EXPECT_NE(message.find("-01T00:00:00Z."), std::string::npos) << message;
    const std::string retry_after = res.header("Retry-After");
    ASSERT_FALSE(retry_after.empty());
    EXPECT_GT(std::stoll(retry_after), 0);
    EXPECT_LE(std::stoll(retry_after), 31LL * 86400);
  }
  EXPECT_GT(admitted, 0);
  EXPECT_GT(refused, 0);
  // Spent passes the limit only by what admitted requests used beyond their holds.
  EXPECT_LE(cost, kUsdLimit + overrun + 1e-9);
  std::printf("[budget] usd: %d admitted, %d refused, $%.6f of $%.2f spent (overshoot $%.6f, bound $%.6f)\n",
              admitted, refused, cost, kUsdLimit, std::max(0.0, cost - kUsdLimit), overrun);

  const std::map<std::string, std::string> labels{{"tenant", "budusd"}, {"scope", "tenant"}, {"unit", "usd"},
                                                  {"period", "month"}};
  EXPECT_NEAR(metric("sluice_budget_spent", labels), cost, 1e-9);
  EXPECT_EQ(metric("sluice_budget_limit", labels), kUsdLimit);
  EXPECT_EQ(metric("sluice_budget_soft_exceeded", labels), 1);
  EXPECT_EQ(metric("sluice_budget_refusals_total", {{"tenant", "budusd"}}), refused);
  // Used up: the next request is refused at once.
  const Response again = post_json(api(), "/v1/chat/completions", body, kUsdKey);
  EXPECT_TRUE(is_openai_error(again, 429, "insufficient_quota")) << again.body;
}

TEST_F(BudgetTest, AnIssuedKeyIsHeldToItsOwnBudget) {
  const auto admin = [&](std::string_view target, const Json& body) {
    return request(gateway_->admin_port(), "POST", target, body.dump(),
                   {{"Authorization", "Bearer " + std::string(kTestAdminToken)}});
  };
  const Response created = admin("/admin/tenants", Json{{"id", "keyed"}});
  ASSERT_EQ(created.status, 201) << created.body;
  const Response capped = admin("/admin/tenants/keyed/keys",
                                Json{{"label", "capped"},
                                     {"budgets", Json::array({{{"limit", 100}, {"unit", "tokens"}, {"period", "day"}}})}});
  ASSERT_EQ(capped.status, 201) << capped.body;
  const Response free = admin("/admin/tenants/keyed/keys", Json{{"label", "free"}});
  ASSERT_EQ(free.status, 201) << free.body;
  const std::string capped_key = capped.json()["key"], capped_id = capped.json()["id"];
  const std::string free_key = free.json()["key"];

  // Each request holds 13 prompt + 20 tokens: three fit in 100, the fourth does not.
  const Json body = chat_body("paced", "count to ten please", 20);
  std::int64_t used = 0;
  for (int i = 0; i < 3; ++i) {
    const Response res = post_json(api(), "/v1/chat/completions", body, capped_key);
    ASSERT_EQ(res.status, 200) << i << ": " << res.body;
    used += usage_tokens(res);
  }
  const Response refused = post_json(api(), "/v1/chat/completions", body, capped_key);
  ASSERT_TRUE(is_openai_error(refused, 429, "insufficient_quota")) << refused.status << " " << refused.body;
  const std::string message = refused.json()["error"].value("message", "");
  EXPECT_NE(message.find("API key " + capped_id + " (tenant keyed) has a budget of 100 tokens per day"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("It resets at "), std::string::npos) << message;
  EXPECT_FALSE(refused.header("Retry-After").empty());
  // The tenant has no budget: its other key goes on.
  EXPECT_EQ(post_json(api(), "/v1/chat/completions", body, free_key).status, 200);

  const std::map<std::string, std::string> labels{{"tenant", "keyed"}, {"scope", "key"}, {"key", capped_id}};
  EXPECT_EQ(metric("sluice_budget_spent", labels), static_cast<double>(used));
  EXPECT_EQ(metric("sluice_budget_limit", labels), 100);
  EXPECT_EQ(metric("sluice_budget_refusals_total", {{"tenant", "keyed"}}), 1);
}

}  // namespace
}  // namespace sluice::itest
