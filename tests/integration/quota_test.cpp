// Tenant quotas and the per-model fair queue, end to end: requests- and
// tokens-per-minute buckets with their `x-ratelimit-*` headers, the token
// reservation reconciled with the real usage, max_concurrency, max_queue /
// max_queue_wait (queue_full, queue_timeout), a client leaving the queue, the
// `x-sluice-priority` header and the refusal metrics.
//
// One gateway serves the whole suite; every test has a tenant (and where the
// queue matters a model) of its own, so the tests do not share any bucket,
// counter or queue and may run in any order or alone.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <string>

#include "harness.h"

namespace sluice::itest {
namespace {

// Plain keys of the suite's tenants; the config stores their SHA-256
// (printf %s "$KEY" | sha256sum).
constexpr std::string_view kRpmKey = "sk-quota-rpm";          // rpm: 3
constexpr std::string_view kFreeKey = "sk-quota-free";        // no limits
constexpr std::string_view kTpmKey = "sk-quota-tpm";          // tpm: 1000
constexpr std::string_view kConcKey = "sk-quota-conc";        // max_concurrency: 1
constexpr std::string_view kQueueKey = "sk-quota-queue";      // max_queue: 1, max_queue_wait: 1s
constexpr std::string_view kWaitKey = "sk-quota-wait";        // max_queue: 1, max_queue_wait: 10s
constexpr std::string_view kVipKey = "sk-quota-vip";          // max_priority: critical
constexpr std::string_view kMetricsKey = "sk-quota-metrics";  // rpm: 1

constexpr double kTpm = 1000;

std::string quota_config() {
  return "listen: {api: 127.0.0.1:0, admin: 127.0.0.1:0}\n"
         "server: {request_read_timeout: 5s, upstream_timeout: 30s, shutdown_grace: 1s, max_queue_wait: 5s}\n"
         "tenants:\n"
         "  - id: rpm3\n"
         "    api_keys: [sha256:12d5c99b07655c7471de83af2ec4692349579307d4205a58c1f2d4c611080be5]\n"
         "    limits: {rpm: 3}\n"
         "  - id: free\n"
         "    api_keys: [sha256:4ffa401e2206917fcca583a5f6a23b8d93d394e4e506cbd5b1c359519fa123df]\n"
         "  - id: tpm\n"
         "    api_keys: [sha256:00eabf8d9a420d0eed49b2ce221cd4e97f5db84125aab63699744f50bb42ea87]\n"
         "    limits: {tpm: 1000}\n"
         "  - id: conc\n"
         "    api_keys: [sha256:41dcc22ddf03b7ddc28d8b0c1d9e62f33ee0f518ba8a2c19c505540d45da3d75]\n"
         "    limits: {max_concurrency: 1}\n"
         "  - id: queue\n"
         "    api_keys: [sha256:644c36b94b9062905ddd83b993f422eada92106092adf33d70d3d413a007439a]\n"
         "    limits: {max_queue: 1, max_queue_wait: 1s}\n"
         "  - id: wait\n"
         "    api_keys: [sha256:2fa875ae4bd32fe5a0900d762013573571e202bfe2a816ce250922dbcf7631c2]\n"
         "    limits: {max_queue: 1, max_queue_wait: 10s}\n"
         "  - id: vip\n"
         "    api_keys: [sha256:facf75d16fa4d854a5b45fa9905a6771c50260de7f56244f8447e635a0faf9be]\n"
         "    priority: standard\n"
         "    max_priority: critical\n"
         "  - id: metrics\n"
         "    api_keys: [sha256:226ce1c2e8bba490154baa9ed42aa78e579f1f29143981c73e271d318a392db8]\n"
         "    limits: {rpm: 1}\n"
         "models:\n"
         // instant: answers at once; without max_tokens it generates 16 tokens
         // (the profile's fixed length) while the gateway reserves 900.
         "  - name: small\n"
         "    source: sim\n"
         "    sim: {instances: 1, profile: instant}\n"
         "    default_max_tokens: 900\n"
         // 8B timing at real speed: ~7.2 ms per token, so 300 tokens ~2 s.
         "  - name: big\n"
         "    source: sim\n"
         "    sim: {instances: 1, profile: llama-3.1-8b-h100}\n"
         // One request at a time per instance: the second one queues.
         "  - name: slowq\n"
         "    source: sim\n"
         "    sim: {instances: 1, profile: llama-3.1-8b-h100}\n"
         "    scheduler: {max_in_flight_per_instance: 1}\n"
         "  - name: slowq2\n"
         "    source: sim\n"
         "    sim: {instances: 1, profile: llama-3.1-8b-h100}\n"
         "    scheduler: {max_in_flight_per_instance: 1}\n";
}

class QuotaTest : public ::testing::Test {
 protected:
  static void TearDownTestSuite() { shared_.reset(); }
  void SetUp() override {
    gateway_ = ensure_gateway(shared_, quota_config());
    ASSERT_NE(gateway_, nullptr);
  }
  void TearDown() override { expect_gateway_survived(shared_); }

  std::uint16_t api() const { return gateway_->api_port(); }

  Response chat(std::string_view model, std::string_view key, int max_tokens,
                const std::vector<Header>& extra = {}) const {
    return post_json(api(), "/v1/chat/completions", chat_body(model, "hello", max_tokens), key, extra);
  }

  double metric(std::string_view name, const std::map<std::string, std::string>& labels) const {
    return metric_value(gateway_->metrics(), name, labels).value_or(0);
  }

  static std::unique_ptr<Gateway> shared_;
  Gateway* gateway_ = nullptr;
};

std::unique_ptr<Gateway> QuotaTest::shared_;

std::vector<Header> auth(std::string_view key, std::vector<Header> extra = {}) {
  extra.push_back({"Authorization", "Bearer " + std::string(key)});
  return extra;
}

/// POST /v1/chat/completions on a kept-alive connection. The gateway reads
/// the next request of a connection only once the previous one has ended
/// (its quota reconciled), so a request sent after this returns sees the
/// ledger as the previous one left it, with no race.
Response chat_on(Connection& conn, const Json& body, std::string_view key, Duration timeout = 10000ms) {
  Response out;
  if (!conn.send(build_request("POST", "/v1/chat/completions", body.dump(), auth(key), /*keep_alive=*/true))) {
    out.error = "send failed";
    return out;
  }
  return conn.read_response(timeout);
}

/// Starts a streamed chat on a kept-alive connection and waits for its
/// head and first SSE data: the request is then admitted and running.
::testing::AssertionResult start_stream(Connection& conn, const Json& body, std::string_view key, Response& head,
                                        std::string& received) {
  if (!conn.connected()) return ::testing::AssertionFailure() << "connect failed: " << conn.connect_error();
  if (!conn.send(build_request("POST", "/v1/chat/completions", body.dump(),
                               auth(key, {{"Accept", "text/event-stream"}}), /*keep_alive=*/true))) {
    return ::testing::AssertionFailure() << "send failed";
  }
  if (!conn.read_head(head, 10000ms)) return ::testing::AssertionFailure() << "no response head: " << head.error;
  if (head.status != 200) return ::testing::AssertionFailure() << "status " << head.status;
  const auto deadline = Clock::now() + 10000ms;
  while (received.find("data:") == std::string::npos) {
    const auto left = std::chrono::duration_cast<Duration>(deadline - Clock::now());
    if (left <= 0ms) return ::testing::AssertionFailure() << "no SSE data within 10 s";
    const auto r = conn.read_body_some(received, left);
    if (r == Connection::Read::kEnd) return ::testing::AssertionFailure() << "the stream ended at once: " << received;
    if (r != Connection::Read::kData) return ::testing::AssertionFailure() << "no SSE data within 10 s";
  }
  return ::testing::AssertionSuccess();
}

/// Reads a stream to its end.
::testing::AssertionResult finish_stream(Connection& conn, std::string& received, Duration timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    const auto left = std::chrono::duration_cast<Duration>(deadline - Clock::now());
    const auto r = conn.read_body_some(received, std::max(left, 0ms));
    if (r == Connection::Read::kEnd) break;
    if (r == Connection::Read::kData) continue;
    return ::testing::AssertionFailure() << (r == Connection::Read::kTimeout ? "timed out" : "connection closed")
                                         << " before the stream ended";
  }
  if (received.find("data: [DONE]") == std::string::npos) {
    return ::testing::AssertionFailure() << "the stream has no [DONE]";
  }
  return ::testing::AssertionSuccess();
}

std::optional<long long> header_int(const Response& res, std::string_view name) {
  const std::string value = res.header(name);
  if (value.empty()) return std::nullopt;
  std::size_t used = 0;
  try {
    const long long n = std::stoll(value, &used);
    if (used != value.size()) return std::nullopt;
    return n;
  } catch (...) {
    return std::nullopt;
  }
}

bool has_ratelimit_header(const Response& res) {
  for (const auto& h : res.headers) {
    std::string name = h.name;
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (name.starts_with("x-ratelimit-")) return true;
  }
  return false;
}

std::string error_message(const Response& res) { return res.json()["error"].value("message", ""); }

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// ------------------------------------------------------------------ rpm ----

TEST_F(QuotaTest, RequestsPerMinuteRefusesTheFourthWith429AndHeaders) {
  const double refused_before = metric("sluice_refusals_total", {{"tenant", "rpm3"}, {"model", "small"}, {"reason", "requests"}});
  // The bucket starts full (3) and refills 3/60 per second: the three quick
  // requests leave it below 1 for ~20 s.
  for (int i = 0; i < 3; ++i) {
    SCOPED_TRACE("request " + std::to_string(i + 1));
    const Response res = chat("small", kRpmKey, 2);
    ASSERT_EQ(res.status, 200) << res.body << res.error;
    EXPECT_EQ(header_int(res, "x-ratelimit-limit-requests"), 3);
    EXPECT_EQ(header_int(res, "x-ratelimit-remaining-requests"), 2 - i);
    EXPECT_FALSE(res.header("x-ratelimit-reset-requests").empty());
    // No tokens-per-minute limit: no token headers.
    EXPECT_TRUE(res.header("x-ratelimit-limit-tokens").empty());
    EXPECT_TRUE(res.header("x-ratelimit-remaining-tokens").empty());
    EXPECT_TRUE(res.header("Retry-After").empty());
  }
  for (int i = 0; i < 2; ++i) {
    SCOPED_TRACE("refused request " + std::to_string(i + 1));
    const Response refused = chat("small", kRpmKey, 2);
    ASSERT_TRUE(is_openai_error(refused, 429, "rate_limit_exceeded"));
    EXPECT_EQ(refused.json()["error"]["type"], "rate_limit_error");
    const auto retry = header_int(refused, "Retry-After");
    ASSERT_TRUE(retry.has_value()) << "Retry-After: `" << refused.header("Retry-After") << "`";
    EXPECT_GE(*retry, 1);
    EXPECT_LE(*retry, 20);  // one request refills in 20 s
    EXPECT_EQ(header_int(refused, "x-ratelimit-limit-requests"), 3);
    EXPECT_EQ(header_int(refused, "x-ratelimit-remaining-requests"), 0);
    EXPECT_FALSE(refused.header("x-ratelimit-reset-requests").empty());
    EXPECT_NE(error_message(refused).find("requests per minute"), std::string::npos) << refused.body;
  }
  EXPECT_EQ(metric("sluice_refusals_total", {{"tenant", "rpm3"}, {"model", "small"}, {"reason", "requests"}}),
            refused_before + 2);

  // A tenant without limits gets no x-ratelimit headers at all.
  const Response unlimited = chat("small", kFreeKey, 2);
  ASSERT_EQ(unlimited.status, 200) << unlimited.body << unlimited.error;
  EXPECT_FALSE(has_ratelimit_header(unlimited));
  // Another tenant is not affected by rpm3's empty bucket.
  EXPECT_EQ(chat("small", kFreeKey, 2).status, 200);
}

// ------------------------------------------------------------------ tpm ----

TEST_F(QuotaTest, TokensPerMinuteReservesMaxTokensAndReconcilesWithUsage) {
  Connection conn(api());
  ASSERT_TRUE(conn.connected()) << conn.connect_error();
  const auto t0 = Clock::now();

  // 1. No max_tokens: the gateway reserves prompt + 900 (small's
  //    default_max_tokens); the instant engine writes only 16 tokens.
  const Response first = chat_on(conn, chat_body("small", "hello", 0), kTpmKey);
  ASSERT_EQ(first.status, 200) << first.body << first.error;
  EXPECT_EQ(header_int(first, "x-ratelimit-limit-tokens"), 1000);
  const auto reserved_left = header_int(first, "x-ratelimit-remaining-tokens");
  ASSERT_TRUE(reserved_left.has_value()) << first.header("x-ratelimit-remaining-tokens");
  EXPECT_GE(*reserved_left, 0);
  EXPECT_LE(*reserved_left, 100) << "the reservation should include the 900 default max_tokens";
  EXPECT_FALSE(first.header("x-ratelimit-reset-tokens").empty());
  EXPECT_TRUE(first.header("x-ratelimit-limit-requests").empty());  // no rpm limit
  const Json usage = first.json()["usage"];
  ASSERT_TRUE(usage.is_object()) << first.body;
  const long long prompt = usage.value("prompt_tokens", -1);
  const long long completion = usage.value("completion_tokens", -1);
  ASSERT_GT(prompt, 0) << usage;
  ASSERT_EQ(completion, 16) << "instant's fixed output length" << usage;
  const long long used = prompt + completion;

  // 2. Needs more than the whole per-minute limit: refused as too large
  //    with a 400, which clients do not retry (waiting does not help; a
  //    429 would be retried by the SDKs), without Retry-After. Refused
  //    before any take, so its headers show the bucket as request 1 left
  //    it: the unused part of the reservation is back.
  const Response too_large = chat_on(conn, chat_body("small", "hello", 5000), kTpmKey);
  const double elapsed = seconds_since(t0);
  ASSERT_TRUE(is_openai_error(too_large, 400, "invalid_request"));
  EXPECT_EQ(too_large.json()["error"]["type"], "invalid_request_error");
  EXPECT_EQ(too_large.json()["error"]["param"], "max_tokens");
  EXPECT_NE(error_message(too_large).find("too large"), std::string::npos) << too_large.body;
  EXPECT_TRUE(too_large.header("Retry-After").empty()) << too_large.header("Retry-After");
  EXPECT_EQ(header_int(too_large, "x-ratelimit-limit-tokens"), 1000);
  const auto remaining = header_int(too_large, "x-ratelimit-remaining-tokens");
  ASSERT_TRUE(remaining.has_value()) << too_large.header("x-ratelimit-remaining-tokens");
  // 1000 - used, plus what refilled since t0 (1000/60 per second), never above the limit.
  const auto refill_bound = static_cast<long long>(std::ceil(elapsed * kTpm / 60.0)) + 1;
  EXPECT_GE(*remaining, 1000 - used) << "used " << used << " (prompt " << prompt << " + completion " << completion
                                     << "); the reservation was not given back";
  EXPECT_LE(*remaining, std::min<long long>(1000, 1000 - used + refill_bound)) << "elapsed " << elapsed << " s";

  // 3. 900 more tokens fit only because the unused reservation came back.
  const Response big = chat_on(conn, chat_body("small", "hello", 900), kTpmKey);
  ASSERT_EQ(big.status, 200) << big.body << big.error;
  EXPECT_EQ(big.json()["usage"].value("completion_tokens", -1), 900) << big.body;

  // 4. Now ~1000 - used - (prompt + 900) + refill are left: 500 more do
  //    not fit (for ~25 s): refused for tokens, with a Retry-After.
  const Response refused = chat_on(conn, chat_body("small", "hello", 500), kTpmKey);
  ASSERT_TRUE(is_openai_error(refused, 429, "rate_limit_exceeded"));
  EXPECT_NE(error_message(refused).find("tokens per minute"), std::string::npos) << refused.body;
  const auto retry = header_int(refused, "Retry-After");
  ASSERT_TRUE(retry.has_value()) << "Retry-After: `" << refused.header("Retry-After") << "`";
  EXPECT_GE(*retry, 1);
  EXPECT_LE(*retry, 60);
  const auto left = header_int(refused, "x-ratelimit-remaining-tokens");
  ASSERT_TRUE(left.has_value());
  EXPECT_LT(*left, 500);

  EXPECT_EQ(metric("sluice_refusals_total", {{"tenant", "tpm"}, {"model", "small"}, {"reason", "too_large"}}), 1);
  EXPECT_EQ(metric("sluice_refusals_total", {{"tenant", "tpm"}, {"model", "small"}, {"reason", "tokens"}}), 1);
}

// ------------------------------------------------------- max_concurrency ----

TEST_F(QuotaTest, MaxConcurrencyRefusesASecondRequestWhileOneRuns) {
  Connection conn(api());
  Response head;
  std::string received;
  // ~300 tokens at ~7.2 ms: ~2 s in flight.
  ASSERT_TRUE(start_stream(conn, chat_body("big", "Write an essay", 300, true), kConcKey, head, received));

  // The limit is tenant-wide: the same model and another one are refused.
  for (const char* model : {"big", "small"}) {
    SCOPED_TRACE(model);
    const Response second = chat(model, kConcKey, 2);
    ASSERT_TRUE(is_openai_error(second, 429, "concurrency_limit_exceeded"));
    EXPECT_EQ(second.json()["error"]["type"], "rate_limit_error");
    EXPECT_EQ(second.header("Retry-After"), "1");
    EXPECT_NE(error_message(second).find("limit is 1"), std::string::npos) << second.body;
  }
  EXPECT_EQ(metric("sluice_refusals_total", {{"tenant", "conc"}, {"model", "big"}, {"reason", "concurrency"}}), 1);
  EXPECT_EQ(metric("sluice_refusals_total", {{"tenant", "conc"}, {"model", "small"}, {"reason", "concurrency"}}), 1);

  // Once the first ended, the next request is admitted (sent on the same
  // connection: the gateway reads it only after the first one finished).
  ASSERT_TRUE(finish_stream(conn, received, 10000ms));
  const Response after = chat_on(conn, chat_body("small", "hello", 2), kConcKey);
  EXPECT_EQ(after.status, 200) << after.body << after.error;
}

// ----------------------------------------------------------------- queue ----

TEST_F(QuotaTest, QueueFullAndQueueTimeout) {
  const std::map<std::string, std::string> depth_labels{{"model", "slowq"}, {"tenant", "queue"}};
  // A: ~2000 tokens at ~7.2 ms, ~14 s if nobody cancelled it; holds slowq's only slot.
  Connection a(api());
  Response a_head;
  std::string a_body;
  ASSERT_TRUE(start_stream(a, chat_body("slowq", "Write a very long essay", 2000, true), kQueueKey, a_head, a_body));

  // B waits in the queue (1 of max_queue 1).
  Connection b(api());
  ASSERT_TRUE(b.connected()) << b.connect_error();
  const auto b_sent = Clock::now();
  ASSERT_TRUE(b.send(build_request("POST", "/v1/chat/completions", chat_body("slowq", "hello", 5).dump(),
                                   auth(kQueueKey))));
  ASSERT_TRUE(wait_until([&] { return metric("sluice_queue_tenant_depth", depth_labels) == 1; }, 900ms))
      << "B is not queued";

  // C would be the second waiting request: queue_full at once.
  const auto c_sent = Clock::now();
  const Response c = chat("slowq", kQueueKey, 5);
  EXPECT_LT(seconds_since(c_sent), 0.9);  // refused at once, not after waiting
  ASSERT_TRUE(is_openai_error(c, 429, "queue_full"));
  EXPECT_EQ(c.json()["error"]["type"], "rate_limit_error");
  EXPECT_EQ(c.header("Retry-After"), "1");
  EXPECT_NE(error_message(c).find("the limit is 1"), std::string::npos) << c.body;

  // A outlasts max_queue_wait (1 s): B times out.
  const Response b_res = b.read_response(5000ms);
  const double b_waited = seconds_since(b_sent);
  ASSERT_TRUE(is_openai_error(b_res, 429, "queue_timeout"));
  EXPECT_EQ(b_res.json()["error"]["type"], "rate_limit_error");
  EXPECT_EQ(b_res.header("Retry-After"), "1");
  EXPECT_GE(b_waited, 1.0);
  EXPECT_LT(b_waited, 3.0);
  EXPECT_EQ(metric("sluice_queue_tenant_depth", depth_labels), 0);
  EXPECT_EQ(metric("sluice_refusals_total", {{"tenant", "queue"}, {"model", "slowq"}, {"reason", "queue_full"}}), 1);
  EXPECT_EQ(metric("sluice_refusals_total", {{"tenant", "queue"}, {"model", "slowq"}, {"reason", "queue_timeout"}}), 1);
  // The queue-wait histogram counts served requests only (A), not B's or C's refusals.
  EXPECT_EQ(metric("sluice_queue_wait_seconds_count", depth_labels), 1);

  // A was running all along and is still streaming.
  EXPECT_EQ(metric("sluice_scheduler_running", depth_labels), 1);
  std::string more;
  EXPECT_EQ(a.read_body_some(more, 2000ms), Connection::Read::kData);
  a.close();  // cancels A in the engine
}

TEST_F(QuotaTest, ClientGoneWhileQueuedLeavesTheQueueAtOnce) {
  const std::map<std::string, std::string> labels{{"model", "slowq2"}, {"tenant", "wait"}};
  const double disconnects_before = metric_value(gateway_->metrics(), "sluice_client_disconnects_total").value_or(0);
  // A: ~400 tokens at ~7.2 ms, ~3 s.
  Connection a(api());
  Response a_head;
  std::string a_body;
  ASSERT_TRUE(start_stream(a, chat_body("slowq2", "Write an essay", 400, true), kWaitKey, a_head, a_body));
  const auto a_started = Clock::now();

  // B queues behind A (max_queue_wait 10 s), then its client goes away.
  {
    Connection b(api());
    ASSERT_TRUE(b.connected()) << b.connect_error();
    ASSERT_TRUE(b.send(build_request("POST", "/v1/chat/completions", chat_body("slowq2", "hello", 5).dump(),
                                     auth(kWaitKey))));
    ASSERT_TRUE(wait_until([&] { return metric("sluice_queue_tenant_depth", labels) == 1; }, 900ms))
        << "B is not queued";
  }
  const auto closed = Clock::now();
  // B left the queue at once, while A still runs (so the slot did not free).
  bool left_while_a_runs = false;
  ASSERT_TRUE(wait_until(
      [&] {
        const std::string text = gateway_->metrics();
        if (metric_value(text, "sluice_queue_tenant_depth", labels).value_or(-1) != 0) return false;
        left_while_a_runs = metric_value(text, "sluice_scheduler_running", labels).value_or(0) == 1;
        return true;
      },
      500ms))
      << "B still queued " << seconds_since(closed) << " s after its client left";
  EXPECT_TRUE(left_while_a_runs) << "A was no longer running when B left the queue ("
                                 << seconds_since(a_started) << " s after A started)";
  EXPECT_TRUE(wait_until(
      [&] {
        return metric_value(gateway_->metrics(), "sluice_client_disconnects_total").value_or(0) > disconnects_before;
      },
      1000ms))
      << "sluice_client_disconnects_total did not increase";
  EXPECT_TRUE(wait_until(
      [&] { return metric("sluice_requests_total", {{"tenant", "wait"}, {"model", "slowq2"}, {"status", "499"}}) == 1; },
      1000ms))
      << "no 499 recorded for B";

  // A still completes, and B was never sent to the engine.
  ASSERT_TRUE(finish_stream(a, a_body, 10000ms));
  EXPECT_EQ(metric("sluice_scheduler_dispatches_total", {{"tenant", "wait"}, {"model", "slowq2"}}), 1);
  EXPECT_EQ(metric("sluice_queue_tenant_depth", labels), 0);
  EXPECT_EQ(metric("sluice_refusals_total", {{"tenant", "wait"}, {"model", "slowq2"}, {"reason", "queue_timeout"}}), 0);
  // The model serves the next request.
  const Response next = chat_on(a, chat_body("slowq2", "hello", 3), kWaitKey);
  EXPECT_EQ(next.status, 200) << next.body << next.error;
}

// -------------------------------------------------------------- priority ----

TEST_F(QuotaTest, PriorityHeaderIsValidatedAgainstMaxPriority) {
  const auto priority = [](std::string_view value) {
    return std::vector<Header>{{"x-sluice-priority", std::string(value)}};
  };
  {
    const Response res = chat("small", kFreeKey, 2, priority("bogus"));
    ASSERT_TRUE(is_openai_error(res, 400, "invalid_request"));
    EXPECT_EQ(res.json()["error"]["param"], "x-sluice-priority") << res.body;
    EXPECT_NE(error_message(res).find("bogus"), std::string::npos) << res.body;
  }
  {
    // free's priority is standard, and max_priority defaults to it.
    const Response res = chat("small", kFreeKey, 2, priority("critical"));
    ASSERT_TRUE(is_openai_error(res, 400, "invalid_request"));
    EXPECT_EQ(res.json()["error"]["param"], "x-sluice-priority") << res.body;
    EXPECT_NE(error_message(res).find("standard"), std::string::npos) << res.body;
  }
  // Asking for less, or for what it has, is fine.
  EXPECT_EQ(chat("small", kFreeKey, 2, priority("batch")).status, 200);
  EXPECT_EQ(chat("small", kFreeKey, 2, priority("standard")).status, 200);
  // A tenant with max_priority: critical may ask for it.
  EXPECT_EQ(chat("small", kVipKey, 2, priority("critical")).status, 200);
  EXPECT_EQ(chat("small", kVipKey, 2).status, 200);
}

// --------------------------------------------------------------- metrics ----

TEST_F(QuotaTest, MetricsCountRefusalsAndQueueWaits) {
  const std::map<std::string, std::string> series{{"tenant", "metrics"}, {"model", "small"}};
  auto with_reason = [&](const char* reason) {
    auto labels = series;
    labels["reason"] = reason;
    return labels;
  };
  EXPECT_EQ(metric("sluice_refusals_total", with_reason("requests")), 0);
  EXPECT_EQ(metric("sluice_queue_wait_seconds_count", series), 0);

  ASSERT_EQ(chat("small", kMetricsKey, 2).status, 200);  // rpm: 1
  for (int i = 0; i < 2; ++i) EXPECT_TRUE(is_openai_error(chat("small", kMetricsKey, 2), 429, "rate_limit_exceeded"));

  const std::string text = gateway_->metrics();
  EXPECT_EQ(metric_value(text, "sluice_refusals_total", with_reason("requests")), 2) << text;
  EXPECT_FALSE(metric_value(text, "sluice_refusals_total", with_reason("tokens")).has_value());
  // Only the served request went through the queue.
  EXPECT_EQ(metric_value(text, "sluice_queue_wait_seconds_count", series), 1) << text;
  EXPECT_EQ(metric_value(text, "sluice_quota_remaining_requests", {{"tenant", "metrics"}}), 0);
  // Counted once each response is written, so possibly just after the client read it.
  EXPECT_TRUE(wait_until(
      [&] { return metric("sluice_requests_total", {{"tenant", "metrics"}, {"model", "small"}, {"status", "429"}}) == 2; },
      1000ms))
      << gateway_->metrics();
}

}  // namespace
}  // namespace sluice::itest
