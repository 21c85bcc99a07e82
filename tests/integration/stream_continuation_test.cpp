// Stream continuation against two engine-sim processes started by the test
// with the same --seed: an engine that drops a stream's connection after N
// tokens, one that is SIGKILLed mid-stream, and one that stalls past
// stream_idle, each cost the client nothing. The gateway continues the
// stream on the other engine and the client reads one well-formed stream
// whose text is exactly the text of the same request served uninterrupted.
#include <chrono>
#include <functional>
#include <iostream>
#include <optional>
#include <set>
#include <string>

#include "harness.h"

namespace sluice::itest {
namespace {

constexpr std::string_view kModel = "small";

/// What a client read of one streamed chat completion.
struct StreamRead {
  bool ok = false;          // 200, clean end of body
  std::string text;         // the deltas' content, concatenated
  int token_chunks = 0;     // chunks with content
  int roles = 0;            // deltas with a role
  int done = 0;             // [DONE] events
  int errors = 0;           // error events
  std::set<std::string> ids;
  std::optional<Json> usage;
  std::string finish_reason;
  std::string problem;      // the first thing that was malformed
  double seconds = 0;       // request sent to end of body
};

void read_event(const SseEvent& e, StreamRead& out) {
  if (e.is_done()) {
    ++out.done;
    return;
  }
  const Json j = e.json();
  if (!j.is_object()) {
    if (out.problem.empty()) out.problem = "not JSON: " + e.data;
    return;
  }
  if (j.contains("error")) {
    ++out.errors;
    return;
  }
  out.ids.insert(j.value("id", ""));
  if (j.contains("usage") && j["usage"].is_object()) out.usage = j["usage"];
  for (const auto& c : j["choices"]) {
    const Json& delta = c["delta"];
    if (delta.contains("role")) ++out.roles;
    if (delta.contains("content") && delta["content"].is_string() && !delta["content"].get<std::string>().empty()) {
      out.text += delta["content"].get<std::string>();
      ++out.token_chunks;
    }
    if (c.contains("finish_reason") && c["finish_reason"].is_string()) out.finish_reason = c["finish_reason"];
  }
}

/// Streams a chat completion and reads all of it; `after_tokens(n)` is
/// called as each content chunk arrives with the count so far.
StreamRead stream_chat(std::uint16_t port, const Json& body,
                       const std::function<void(int)>& after_tokens = {}) {
  StreamRead out;
  const auto started = Clock::now();
  SseStream s(port, "/v1/chat/completions", body, kAcmeKey, 5000ms);
  if (!s.ok()) {
    out.problem = "status " + std::to_string(s.head().status) + " " + s.head().error + " " + s.head().body;
    return out;
  }
  const auto deadline = Clock::now() + 15000ms;
  while (Clock::now() < deadline) {
    auto e = s.next(5000ms);
    if (!e) break;
    const int before = out.token_chunks;
    read_event(*e, out);
    if (after_tokens && out.token_chunks != before) after_tokens(out.token_chunks);
  }
  out.seconds = std::chrono::duration<double>(Clock::now() - started).count();
  out.ok = s.clean_end() && out.problem.empty();
  if (!s.clean_end() && out.problem.empty()) out.problem = "the stream did not end cleanly";
  return out;
}

Json story_body(int max_tokens) {
  Json body = chat_body(kModel, "tell me a long story about a gateway", max_tokens, true);
  body["stream_options"] = {{"include_usage", true}};
  return body;
}

double continuations(const Gateway& gateway, std::string_view outcome) {
  return metric_value(gateway.metrics(), "sluice_stream_continuations_total",
                      {{"model", std::string(kModel)}, {"outcome", std::string(outcome)}})
      .value_or(-1);
}

double tokens_counted(const Gateway& gateway, std::string_view metric) {
  return metric_value(gateway.metrics(), metric, {{"tenant", "acme"}, {"model", std::string(kModel)}}).value_or(0);
}

/// Two engine-sims with the same seed behind one static model.
class StreamContinuationTest : public ::testing::Test {
 protected:
  /// `engine_args`: extra engine-sim options (timing); `server`: the
  /// gateway's `server:` map.
  void start(std::vector<std::string> engine_args, std::string server = "") {
    for (int i = 0; i < 2; ++i) {
      std::vector<std::string> args{"--profile", "instant", "--served-model-name", std::string(kModel), "--seed", "7"};
      args.insert(args.end(), engine_args.begin(), engine_args.end());
      engines_[i] = std::make_unique<EngineSim>(args);
      ASSERT_TRUE(engines_[i]->start()) << engines_[i]->error();
    }
    gateway_ = std::make_unique<Gateway>(make_config(
        server, "  - name: small\n    source: static\n    static:\n      endpoints: [http://127.0.0.1:" +
                    std::to_string(engines_[0]->port()) + ", http://127.0.0.1:" + std::to_string(engines_[1]->port()) +
                    "]\n"
                    "    health_check: {enabled: false}\n"
                    "    outlier_detection: {enabled: false}\n"));
    ASSERT_TRUE(gateway_->start()) << gateway_->error();
  }

  /// The engine serving the one request in flight, by the gateway's count.
  /// The engine running a request now, by its own count: the gateway's
  /// outstanding count of the stream before may not have dropped yet.
  EngineSim* serving_engine() const {
    for (const auto& e : engines_) {
      const auto running = metric_value(get(e->port(), "/metrics").body, "vllm:num_requests_running");
      if (running.value_or(0) >= 1) return e.get();
    }
    return nullptr;
  }

  void expect_same_stream(const StreamRead& got, const StreamRead& want) const {
    EXPECT_TRUE(got.ok) << got.problem;
    EXPECT_EQ(got.errors, 0) << "the client saw an error event";
    EXPECT_EQ(got.done, 1);
    EXPECT_EQ(got.roles, 1) << "the continuation's role chunk reached the client";
    EXPECT_EQ(got.ids.size(), 1u) << "chunks carry more than one id";
    EXPECT_EQ(got.text, want.text) << "the spliced text differs from the uninterrupted one";
    EXPECT_EQ(got.token_chunks, want.token_chunks);
    EXPECT_EQ(got.finish_reason, want.finish_reason);
    ASSERT_TRUE(got.usage && want.usage);
    EXPECT_EQ((*got.usage)["prompt_tokens"], (*want.usage)["prompt_tokens"]);
    EXPECT_EQ((*got.usage)["completion_tokens"], (*want.usage)["completion_tokens"]);
  }

  std::unique_ptr<EngineSim> engines_[2];
  std::unique_ptr<Gateway> gateway_;
};

TEST_F(StreamContinuationTest, ADroppedStreamIsContinuedOnTheOtherEngine) {
  start({});
  constexpr int kMaxTokens = 30;
  const StreamRead reference = stream_chat(gateway_->api_port(), story_body(kMaxTokens));
  ASSERT_TRUE(reference.ok) << reference.problem;
  ASSERT_EQ(reference.token_chunks, kMaxTokens);
  ASSERT_EQ(reference.errors, 0);

  // Both engines drop a stream after 20 tokens; the continuation asks for
  // the 10 left, which neither drops.
  for (const auto& e : engines_) ASSERT_TRUE(set_engine_fault(e->port(), {{"drop_after_tokens", 20}}));
  const double prompt_before = tokens_counted(*gateway_, "sluice_prompt_tokens_total");
  const double completion_before = tokens_counted(*gateway_, "sluice_completion_tokens_total");
  constexpr int kStreams = 3;
  for (int i = 0; i < kStreams; ++i) {
    const StreamRead spliced = stream_chat(gateway_->api_port(), story_body(kMaxTokens));
    expect_same_stream(spliced, reference);
    if (HasFailure()) break;
  }
  EXPECT_EQ(continuations(*gateway_, "spliced"), kStreams);
  EXPECT_EQ(continuations(*gateway_, "failed"), 0);
  // The tenant is charged the original prompt and every token once; the
  // continuation's longer prompt is not charged.
  EXPECT_EQ(tokens_counted(*gateway_, "sluice_prompt_tokens_total") - prompt_before,
            kStreams * (*reference.usage)["prompt_tokens"].get<double>());
  EXPECT_EQ(tokens_counted(*gateway_, "sluice_completion_tokens_total") - completion_before, kStreams * kMaxTokens);

  // The same request, non-streamed, is untouched by any of it.
  for (const auto& e : engines_) ASSERT_TRUE(clear_engine_faults(e->port()));
  const Response whole = post_json(gateway_->api_port(), "/v1/chat/completions",
                                   chat_body(kModel, "tell me a long story about a gateway", kMaxTokens), kAcmeKey);
  ASSERT_EQ(whole.status, 200) << whole.body;
  EXPECT_EQ(whole.json()["choices"][0]["message"]["content"], reference.text);
}

TEST_F(StreamContinuationTest, WithoutRetriesTheStreamEndsWithAnErrorEvent) {
  start({}, "retry: {retries: 0}");
  for (const auto& e : engines_) ASSERT_TRUE(set_engine_fault(e->port(), {{"drop_after_tokens", 5}}));
  const StreamRead broken = stream_chat(gateway_->api_port(), story_body(20));
  EXPECT_EQ(broken.token_chunks, 5);
  EXPECT_EQ(broken.errors, 1);
  EXPECT_EQ(broken.done, 0);
  EXPECT_EQ(continuations(*gateway_, "failed"), 1);
  EXPECT_EQ(continuations(*gateway_, "spliced"), 0);
}

TEST_F(StreamContinuationTest, AKilledEngineMidStreamIsContinued) {
  start({"--decode-base-ms", "15"});  // about 65 tokens a second: time to kill it mid-way
  constexpr int kMaxTokens = 60;
  const StreamRead reference = stream_chat(gateway_->api_port(), story_body(kMaxTokens));
  ASSERT_TRUE(reference.ok) << reference.problem;
  ASSERT_EQ(reference.token_chunks, kMaxTokens);

  EngineSim* killed = nullptr;
  const StreamRead spliced = stream_chat(gateway_->api_port(), story_body(kMaxTokens), [&](int tokens) {
    if (killed || tokens < 10) return;
    killed = serving_engine();
    if (killed) killed->kill();
  });
  ASSERT_NE(killed, nullptr) << "found no engine serving the stream";
  expect_same_stream(spliced, reference);
  EXPECT_EQ(continuations(*gateway_, "spliced"), 1);
  std::cout << "[ continuation ] engine SIGKILLed after 10 of " << kMaxTokens << " tokens: stream took "
            << spliced.seconds << " s, uninterrupted " << reference.seconds << " s\n";
}

TEST_F(StreamContinuationTest, AStalledEngineIsContinuedAfterStreamIdle) {
  start({"--decode-base-ms", "15"}, "timeouts: {stream_idle: 300ms}");
  constexpr int kMaxTokens = 40;
  const StreamRead reference = stream_chat(gateway_->api_port(), story_body(kMaxTokens));
  ASSERT_TRUE(reference.ok) << reference.problem;

  EngineSim* stalled = nullptr;
  const StreamRead spliced = stream_chat(gateway_->api_port(), story_body(kMaxTokens), [&](int tokens) {
    if (stalled || tokens < 5) return;
    stalled = serving_engine();
    // Each step now takes 15 s: the stream goes quiet.
    if (stalled) {
      ASSERT_TRUE(set_engine_fault(stalled->port(), {{"slow_factor", 1000}}));
    }
  });
  ASSERT_NE(stalled, nullptr) << "found no engine serving the stream";
  expect_same_stream(spliced, reference);
  EXPECT_LT(spliced.seconds, reference.seconds + 3);  // one idle limit late, not a step of the stalled engine
  EXPECT_EQ(continuations(*gateway_, "spliced"), 1);
  std::cout << "[ continuation ] engine stalled after 5 of " << kMaxTokens << " tokens, stream_idle 300ms: stream took "
            << spliced.seconds << " s, uninterrupted " << reference.seconds << " s\n";
}

}  // namespace
}  // namespace sluice::itest
