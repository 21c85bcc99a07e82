// The OpenAI-compatible API of a healthy gateway: non-streamed and streamed
// completions, request ids, the model list per tenant, the access log, and a
// client that goes away mid-stream. One gateway serves the whole suite.
#include <set>
#include <thread>

#include "harness.h"

namespace sluice::itest {
namespace {

class ApiTest : public SharedGatewayTest<ApiTest> {
 public:  // config() is read by SharedGatewayTest
  static std::string config() {
    // `big` runs the 8B timing model 4x faster than real time: ~1.8 ms per
    // token, so a 200-token stream takes a measurable ~0.4 s.
    return make_config("request_read_timeout: 2s, upstream_timeout: 8s, shutdown_grace: 1s",
                       "  - name: small\n"
                       "    source: sim\n"
                       "    sim: {instances: 2, profile: instant}\n"
                       "  - name: big\n"
                       "    source: sim\n"
                       "    sim: {instances: 1, profile: llama-3.1-8b-h100, speedup: 4}\n");
  }
};

void expect_usage(const Json& usage, int completion_tokens) {
  ASSERT_TRUE(usage.is_object()) << usage;
  EXPECT_GT(usage.value("prompt_tokens", 0), 0) << usage;
  EXPECT_EQ(usage.value("completion_tokens", -1), completion_tokens) << usage;
  EXPECT_EQ(usage.value("total_tokens", -1), usage.value("prompt_tokens", 0) + usage.value("completion_tokens", 0))
      << usage;
}

TEST_F(ApiTest, ChatCompletionHasOpenAiShape) {
  const auto before = metric_value(gateway_->metrics(), "sluice_requests_total",
                                   {{"tenant", "acme"}, {"model", "small"}, {"status", "200"}});
  const Response res = post_json(api(), "/v1/chat/completions", chat_body("small", "Hello there", 7), kAcmeKey);
  ASSERT_EQ(res.status, 200) << res.body << res.error;
  EXPECT_TRUE(res.header("content-type").starts_with("application/json")) << res.header("content-type");
  const Json doc = res.json();
  ASSERT_TRUE(doc.is_object()) << res.body;
  EXPECT_EQ(doc["object"], "chat.completion");
  EXPECT_TRUE(doc["id"].is_string());
  EXPECT_TRUE(doc["created"].is_number_integer());
  EXPECT_EQ(doc["model"], "small");
  ASSERT_TRUE(doc["choices"].is_array());
  ASSERT_EQ(doc["choices"].size(), 1u);
  const Json& choice = doc["choices"][0];
  EXPECT_EQ(choice["index"], 0);
  EXPECT_EQ(choice["message"]["role"], "assistant");
  ASSERT_TRUE(choice["message"]["content"].is_string());
  EXPECT_FALSE(choice["message"]["content"].get<std::string>().empty());
  EXPECT_EQ(choice["finish_reason"], "length");
  expect_usage(doc["usage"], 7);

  const auto after = metric_value(gateway_->metrics(), "sluice_requests_total",
                                  {{"tenant", "acme"}, {"model", "small"}, {"status", "200"}});
  ASSERT_TRUE(after.has_value());
  EXPECT_EQ(*after, before.value_or(0) + 1);
}

TEST_F(ApiTest, CompletionHasOpenAiShape) {
  const Response res = post_json(api(), "/v1/completions", completion_body("small", "Once upon a time", 9), kAcmeKey);
  ASSERT_EQ(res.status, 200) << res.body << res.error;
  const Json doc = res.json();
  ASSERT_TRUE(doc.is_object()) << res.body;
  EXPECT_EQ(doc["object"], "text_completion");
  EXPECT_EQ(doc["model"], "small");
  ASSERT_EQ(doc["choices"].size(), 1u);
  ASSERT_TRUE(doc["choices"][0]["text"].is_string());
  EXPECT_FALSE(doc["choices"][0]["text"].get<std::string>().empty());
  EXPECT_EQ(doc["choices"][0]["finish_reason"], "length");
  expect_usage(doc["usage"], 9);
}

TEST_F(ApiTest, RequestIdIsEchoedOrGenerated) {
  const Response echoed = post_json(api(), "/v1/chat/completions", chat_body("small", "hi", 2), kAcmeKey,
                                    {{"X-Request-Id", "itest-req.42:A_b-c"}});
  ASSERT_EQ(echoed.status, 200) << echoed.body;
  EXPECT_EQ(echoed.header("x-request-id"), "itest-req.42:A_b-c");

  const Response first = post_json(api(), "/v1/chat/completions", chat_body("small", "hi", 2), kAcmeKey);
  const Response second = post_json(api(), "/v1/chat/completions", chat_body("small", "hi", 2), kAcmeKey);
  ASSERT_EQ(first.status, 200);
  ASSERT_EQ(second.status, 200);
  EXPECT_FALSE(first.header("x-request-id").empty());
  EXPECT_NE(first.header("x-request-id"), second.header("x-request-id"));

  // A malformed id (space, quote) is replaced, not reflected.
  const Response bad = post_json(api(), "/v1/chat/completions", chat_body("small", "hi", 2), kAcmeKey,
                                 {{"X-Request-Id", "bad id\"<script>"}});
  ASSERT_EQ(bad.status, 200);
  EXPECT_FALSE(bad.header("x-request-id").empty());
  EXPECT_EQ(bad.header("x-request-id").find("script"), std::string::npos);

  // Errors carry the id too.
  const Response error = post_json(api(), "/v1/chat/completions", chat_body("nope", "hi", 2), kAcmeKey,
                                   {{"X-Request-Id", "itest-err-1"}});
  EXPECT_EQ(error.status, 404);
  EXPECT_EQ(error.header("x-request-id"), "itest-err-1");
}

/// Checks the framing common to every stream and returns the JSON events
/// (without [DONE]).
std::vector<Json> expect_clean_stream(SseStream& stream, const std::vector<SseEvent>& events) {
  EXPECT_EQ(stream.head().status, 200) << stream.head().error;
  EXPECT_TRUE(stream.head().header("content-type").starts_with("text/event-stream"))
      << stream.head().header("content-type");
  EXPECT_TRUE(stream.head().chunked) << "a stream must use chunked transfer encoding";
  EXPECT_FALSE(stream.head().header("x-request-id").empty());
  EXPECT_TRUE(stream.ended());
  EXPECT_TRUE(stream.clean_end()) << "the stream did not end with its last chunk";
  std::vector<Json> out;
  if (events.empty()) {
    ADD_FAILURE() << "no events";
    return out;
  }
  EXPECT_TRUE(events.back().is_done()) << "last event: " << events.back().data;
  for (std::size_t i = 0; i + 1 < events.size(); ++i) {
    EXPECT_FALSE(events[i].is_done()) << "[DONE] before the end, at event " << i;
    Json doc = events[i].json();
    EXPECT_TRUE(doc.is_object()) << "event " << i << " is not JSON: " << events[i].data;
    EXPECT_FALSE(doc.contains("error")) << events[i].data;
    out.push_back(std::move(doc));
  }
  return out;
}

std::size_t usage_chunks(const std::vector<Json>& chunks) {
  std::size_t n = 0;
  for (const auto& c : chunks)
    if (c.contains("choices") && c["choices"].is_array() && c["choices"].empty()) ++n;
  return n;
}

TEST_F(ApiTest, ChatStreamRelaysChunksThenDone) {
  SseStream stream(api(), "/v1/chat/completions", chat_body("small", "Tell me a story", 12, true), kAcmeKey);
  ASSERT_TRUE(stream.ok()) << stream.head().status << " " << stream.head().error << stream.head().body;
  const auto events = stream.read_all(10s);
  const auto chunks = expect_clean_stream(stream, events);
  ASSERT_GE(chunks.size(), 3u);
  EXPECT_EQ(chunks.front()["object"], "chat.completion.chunk");
  EXPECT_EQ(chunks.front()["choices"][0]["delta"]["role"], "assistant");
  int content_chunks = 0;
  for (const auto& c : chunks) {
    EXPECT_EQ(c["object"], "chat.completion.chunk");
    ASSERT_FALSE(c["choices"].empty()) << "usage chunk sent although include_usage was not asked: " << c;
    EXPECT_FALSE(c.contains("usage") && !c["usage"].is_null()) << c;
    if (c["choices"][0]["delta"].contains("content")) ++content_chunks;
  }
  EXPECT_EQ(content_chunks, 12);
  EXPECT_EQ(chunks.back()["choices"][0]["finish_reason"], "length");
  EXPECT_EQ(usage_chunks(chunks), 0u);
}

TEST_F(ApiTest, CompletionStreamRelaysChunksThenDone) {
  SseStream stream(api(), "/v1/completions", completion_body("small", "Once upon a time", 10, true), kAcmeKey);
  ASSERT_TRUE(stream.ok()) << stream.head().status << " " << stream.head().error;
  const auto chunks = expect_clean_stream(stream, stream.read_all(10s));
  ASSERT_GE(chunks.size(), 3u);
  std::string text;
  for (const auto& c : chunks) {
    EXPECT_EQ(c["object"], "text_completion");
    ASSERT_FALSE(c["choices"].empty()) << c;
    if (c["choices"][0]["text"].is_string()) text += c["choices"][0]["text"].get<std::string>();
  }
  EXPECT_FALSE(text.empty());
  EXPECT_EQ(usage_chunks(chunks), 0u);
}

TEST_F(ApiTest, StreamCarriesUsageOnlyWhenAsked) {
  for (const bool include : {true, false}) {
    SCOPED_TRACE(include ? "include_usage: true" : "include_usage: false");
    Json body = chat_body("small", "count", 6, true);
    body["stream_options"] = {{"include_usage", include}};
    SseStream stream(api(), "/v1/chat/completions", body, kAcmeKey);
    ASSERT_TRUE(stream.ok()) << stream.head().status << " " << stream.head().error;
    const auto chunks = expect_clean_stream(stream, stream.read_all(10s));
    ASSERT_FALSE(chunks.empty());
    if (include) {
      EXPECT_EQ(usage_chunks(chunks), 1u);
      const Json& last = chunks.back();
      EXPECT_TRUE(last["choices"].is_array() && last["choices"].empty()) << "usage chunk must come last: " << last;
      expect_usage(last["usage"], 6);
    } else {
      EXPECT_EQ(usage_chunks(chunks), 0u);
    }
  }
  // The completions endpoint too.
  Json body = completion_body("small", "count", 4, true);
  body["stream_options"] = {{"include_usage", true}};
  SseStream stream(api(), "/v1/completions", body, kAcmeKey);
  ASSERT_TRUE(stream.ok());
  const auto chunks = expect_clean_stream(stream, stream.read_all(10s));
  ASSERT_EQ(usage_chunks(chunks), 1u);
  expect_usage(chunks.back()["usage"], 4);
}

TEST_F(ApiTest, StreamDeliversFirstChunkBeforeTheEnd) {
  const auto sent = Clock::now();
  SseStream stream(api(), "/v1/chat/completions", chat_body("big", "Write a long essay", 200, true), kAcmeKey);
  ASSERT_TRUE(stream.ok()) << stream.head().status << " " << stream.head().error;
  const auto first = stream.next(10s);
  ASSERT_TRUE(first.has_value());
  std::vector<SseEvent> rest = stream.read_all(15s);
  ASSERT_FALSE(rest.empty());
  ASSERT_TRUE(rest.back().is_done());
  const auto to_first = first->received - sent;
  const auto to_end = rest.back().received - sent;
  // 200 tokens at ~1.8 ms each: the stream lasts ~0.4 s, the first token
  // comes after one prefill step. A buffering proxy would deliver both at once.
  EXPECT_GT(to_end - to_first, 150ms) << "the stream was not relayed as it was produced";
  EXPECT_LT(to_first * 3, to_end) << "first event after "
                                  << std::chrono::duration_cast<std::chrono::milliseconds>(to_first).count()
                                  << " ms, end after "
                                  << std::chrono::duration_cast<std::chrono::milliseconds>(to_end).count() << " ms";
}

std::set<std::string> model_ids(const Response& res) {
  std::set<std::string> ids;
  const Json doc = res.json();
  if (!doc.is_object() || !doc["data"].is_array()) return ids;
  for (const auto& m : doc["data"]) ids.insert(m.value("id", ""));
  return ids;
}

TEST_F(ApiTest, ModelListDependsOnTheTenant) {
  const Response acme = get(api(), "/v1/models", kAcmeKey);
  ASSERT_EQ(acme.status, 200) << acme.body;
  EXPECT_EQ(acme.json()["object"], "list");
  EXPECT_EQ(model_ids(acme), (std::set<std::string>{"small", "big"}));
  const auto acme_json = acme.json();  // a named value: range-for over a temporary's member dangles
  for (const auto& m : acme_json["data"]) EXPECT_EQ(m["object"], "model") << m;

  const Response globex = get(api(), "/v1/models", kGlobexKey);
  ASSERT_EQ(globex.status, 200) << globex.body;
  EXPECT_EQ(model_ids(globex), (std::set<std::string>{"small"}));

  const Response big_acme = get(api(), "/v1/models/big", kAcmeKey);
  ASSERT_EQ(big_acme.status, 200) << big_acme.body;
  EXPECT_EQ(big_acme.json()["id"], "big");
  EXPECT_EQ(big_acme.json()["object"], "model");

  EXPECT_TRUE(is_openai_error(get(api(), "/v1/models/big", kGlobexKey), 404, "model_not_found"));
  EXPECT_TRUE(is_openai_error(get(api(), "/v1/models/nope", kAcmeKey), 404, "model_not_found"));
  EXPECT_TRUE(is_openai_error(get(api(), "/v1/models"), 401, "missing_api_key"));
  EXPECT_TRUE(is_openai_error(get(api(), "/v1/models", "sk-wrong"), 401, "invalid_api_key"));
}

/// The access-log line (stdout) with that request id, parsed.
Json access_line(const Gateway& gateway, const std::string& request_id) {
  Json found;
  wait_until(
      [&] {
        const std::string out = gateway.stdout_text();
        std::size_t pos = 0;
        while (pos < out.size()) {
          auto eol = out.find('\n', pos);
          if (eol == std::string::npos) break;  // a line still being written
          Json line = Json::parse(out.substr(pos, eol - pos), nullptr, false);
          pos = eol + 1;
          if (line.is_object() && line.value("request_id", "") == request_id) {
            found = std::move(line);
            return true;
          }
        }
        return false;
      },
      5000ms);
  return found;
}

TEST_F(ApiTest, AccessLogRecordsTheRequestButNotThePrompt) {
  const std::string secret_prompt = "the password is PURPLEPLATYPUS7731";
  const Response res = post_json(api(), "/v1/chat/completions", chat_body("small", secret_prompt, 5), kGlobexKey,
                                 {{"X-Request-Id", "itest-access-1"}});
  ASSERT_EQ(res.status, 200) << res.body;
  const std::string output = res.json()["choices"][0]["message"]["content"].get<std::string>();

  Json body = completion_body("small", secret_prompt, 4, true);
  SseStream stream(api(), "/v1/completions", body, kAcmeKey);
  ASSERT_TRUE(stream.ok());
  stream.read_all(10s);
  const std::string stream_id = stream.head().header("x-request-id");

  const Json line = access_line(*gateway_, "itest-access-1");
  ASSERT_TRUE(line.is_object()) << "no access-log line for the request; stdout:\n" << gateway_->stdout_text();
  for (const char* key : {"ts", "request_id", "tenant", "model", "instance", "method", "path", "status", "stream",
                          "prompt_tokens", "completion_tokens", "ttfb_ms", "total_ms"}) {
    EXPECT_TRUE(line.contains(key)) << "no '" << key << "' in " << line;
  }
  EXPECT_EQ(line["tenant"], "globex");
  EXPECT_EQ(line["model"], "small");
  EXPECT_EQ(line["status"], 200);
  EXPECT_EQ(line["method"], "POST");
  EXPECT_EQ(line["path"], "/v1/chat/completions");
  EXPECT_EQ(line["stream"], false);
  EXPECT_EQ(line["prompt_tokens"], res.json()["usage"]["prompt_tokens"]);
  EXPECT_EQ(line["completion_tokens"], 5);
  EXPECT_TRUE(line["instance"].get<std::string>().starts_with("small/")) << line;

  const Json sline = access_line(*gateway_, stream_id);
  ASSERT_TRUE(sline.is_object()) << "no access-log line for the stream " << stream_id;
  EXPECT_EQ(sline["tenant"], "acme");
  EXPECT_EQ(sline["stream"], true);
  EXPECT_EQ(sline["status"], 200);
  EXPECT_EQ(sline["completion_tokens"], 4);
  EXPECT_GT(sline["prompt_tokens"].get<int>(), 0);

  const std::string log = gateway_->stdout_text();
  EXPECT_EQ(log.find("PURPLEPLATYPUS"), std::string::npos) << "the prompt leaked into the access log";
  ASSERT_GT(output.size(), 8u);
  EXPECT_EQ(log.find(output), std::string::npos) << "the output leaked into the access log";
  EXPECT_EQ(gateway_->stderr_text().find("PURPLEPLATYPUS"), std::string::npos) << "the prompt leaked into stderr";
}

TEST_F(ApiTest, ClientDisconnectCancelsTheEngineRequest) {
  const auto engines = gateway_->instances("big");
  ASSERT_EQ(engines.size(), 1u);
  const std::uint16_t engine = engines[0].port;
  const double cancelled_before =
      metric_value(engine_metrics(engine), "sluice_sim_requests_cancelled_total").value_or(-1);
  ASSERT_GE(cancelled_before, 0) << "engine-sim exports no sluice_sim_requests_cancelled_total";
  const double disconnects_before =
      metric_value(gateway_->metrics(), "sluice_client_disconnects_total").value_or(0);

  {
    // ~3000 tokens at ~1.8 ms: ~5 s if nobody cancelled it.
    SseStream stream(api(), "/v1/chat/completions", chat_body("big", "Write a very long essay", 3000, true), kAcmeKey);
    ASSERT_TRUE(stream.ok()) << stream.head().status << " " << stream.head().error;
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(stream.next(5s).has_value()) << "event " << i;
    EXPECT_GE(metric_value(engine_metrics(engine), "vllm:num_requests_running").value_or(0), 1);
    stream.connection().close();
  }
  const auto closed = Clock::now();
  EXPECT_TRUE(wait_until(
      [&] {
        return metric_value(engine_metrics(engine), "sluice_sim_requests_cancelled_total").value_or(0) >
               cancelled_before;
      },
      3000ms))
      << "the engine did not see the cancel";
  EXPECT_TRUE(wait_until(
      [&] { return metric_value(engine_metrics(engine), "vllm:num_requests_running").value_or(1) == 0; }, 3000ms))
      << "the engine still runs the abandoned request";
  EXPECT_LT(Clock::now() - closed, 3s);
  EXPECT_TRUE(wait_until(
      [&] {
        return metric_value(gateway_->metrics(), "sluice_client_disconnects_total").value_or(0) > disconnects_before;
      },
      3000ms))
      << "sluice_client_disconnects_total did not increase";
  // The gateway still serves the model afterwards.
  EXPECT_EQ(post_json(api(), "/v1/chat/completions", chat_body("big", "hi", 3), kAcmeKey).status, 200);
}

}  // namespace
}  // namespace sluice::itest
