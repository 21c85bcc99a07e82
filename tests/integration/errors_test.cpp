// Every error the gateway answers, each checked for its status, its OpenAI
// error body and code, and followed by a good request: a bad request must
// never take the gateway down. Engine faults are injected through each
// engine-sim's /admin/faults; every fault test has a model of its own.
#include <future>
#include <thread>

#include "harness.h"

namespace sluice::itest {
namespace {

class ErrorsTest : public SharedGatewayTest<ErrorsTest> {
 public:  // config() is read by SharedGatewayTest
  static std::string config() {
    std::string models;
    for (const char* name : {"small", "doomed", "stuck", "flaky", "dropper"}) {
      models += fmt_model(name, "{instances: 1, profile: instant}");
    }
    // 8B timing at real speed: a 1000-token answer takes ~7 s, long enough
    // to crash the engine under it.
    models += fmt_model("fragile", "{instances: 1, profile: llama-3.1-8b-h100}");
    return make_config(
        "request_read_timeout: 1s, upstream_timeout: 2s, shutdown_grace: 1s, max_body_bytes: 65536, "
        "max_header_count: 50",
        models);
  }
  static std::string fmt_model(const std::string& name, const std::string& sim) {
    return "  - name: " + name + "\n    source: sim\n    sim: " + sim + "\n";
  }

  Response chat(const std::string& model, std::string_view key = kAcmeKey, int max_tokens = 4) const {
    return post_json(api(), "/v1/chat/completions", chat_body(model, "hello", max_tokens), key);
  }

  std::uint16_t engine_port(const std::string& model) const {
    const auto list = gateway_->instances(model);
    return list.empty() ? 0 : list.front().port;
  }
};

TEST_F(ErrorsTest, InvalidJsonIs400) {
  const std::vector<Header> auth{{"Authorization", "Bearer sk-demo-acme"}};
  for (const std::string body : {"{not json", "[1, 2, 3]", "", "{\"model\": \"small\", "}) {
    SCOPED_TRACE(body);
    EXPECT_TRUE(is_openai_error(request(api(), "POST", "/v1/chat/completions", body, auth), 400, "invalid_json"));
  }
  expect_still_serving();
}

TEST_F(ErrorsTest, MissingOrInvalidFieldIs400NamingTheField) {
  struct Case {
    const char* path;
    Json body;
    const char* param;
  };
  const Json messages = Json::array({{{"role", "user"}, {"content", "hi"}}});
  const std::vector<Case> cases{
      {"/v1/chat/completions", {{"messages", messages}}, "model"},
      {"/v1/chat/completions", {{"model", 42}, {"messages", messages}}, "model"},
      {"/v1/chat/completions", {{"model", "small"}}, "messages"},
      {"/v1/chat/completions", {{"model", "small"}, {"messages", "hi"}}, "messages"},
      {"/v1/chat/completions", {{"model", "small"}, {"messages", Json::array()}}, "messages"},
      {"/v1/chat/completions", {{"model", "small"}, {"messages", messages}, {"stream", "yes"}}, "stream"},
      {"/v1/chat/completions", {{"model", "small"}, {"messages", messages}, {"max_tokens", -1}}, "max_tokens"},
      {"/v1/completions", {{"model", "small"}}, "prompt"},
      {"/v1/completions", {{"model", "small"}, {"prompt", 7}}, "prompt"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.body.dump());
    const Response res = post_json(api(), c.path, c.body, kAcmeKey);
    EXPECT_TRUE(is_openai_error(res, 400, "invalid_request"));
    EXPECT_EQ(res.json()["error"]["param"], c.param) << res.body;
  }
  expect_still_serving();
}

TEST_F(ErrorsTest, MissingOrUnknownKeyIs401) {
  const Json body = chat_body("small", "hi", 2);
  EXPECT_TRUE(is_openai_error(post_json(api(), "/v1/chat/completions", body), 401, "missing_api_key"));
  EXPECT_TRUE(is_openai_error(post_json(api(), "/v1/chat/completions", body, "sk-not-a-key"), 401, "invalid_api_key"));
  EXPECT_TRUE(is_openai_error(
      request(api(), "POST", "/v1/chat/completions", body.dump(), {{"Authorization", "Basic c2stZGVtby1hY21l"}}), 401,
      "invalid_api_key"));
  expect_still_serving();
}

TEST_F(ErrorsTest, UnknownOrForbiddenModelIs404WithoutRevealingWhich) {
  const Response unknown = chat("no-such-model", kGlobexKey);
  EXPECT_TRUE(is_openai_error(unknown, 404, "model_not_found"));
  // globex may not use `doomed`: the answer must not tell it that it exists.
  const Response forbidden = chat("doomed", kGlobexKey);
  EXPECT_TRUE(is_openai_error(forbidden, 404, "model_not_found"));
  std::string forbidden_message = forbidden.json()["error"].value("message", "");
  std::string unknown_message = unknown.json()["error"].value("message", "");
  if (const auto at = forbidden_message.find("doomed"); at != std::string::npos) forbidden_message.replace(at, 6, "X");
  if (const auto at = unknown_message.find("no-such-model"); at != std::string::npos) unknown_message.replace(at, 13, "X");
  EXPECT_EQ(forbidden_message, unknown_message);
  EXPECT_EQ(forbidden.json()["error"]["type"], unknown.json()["error"]["type"]);
  // acme may use it.
  EXPECT_EQ(chat("doomed").status, 200);
  expect_still_serving();
}

TEST_F(ErrorsTest, UnknownPathIs404) {
  EXPECT_TRUE(is_openai_error(get(api(), "/v1/nothing-here", kAcmeKey), 404, "not_found"));
  expect_still_serving();
}

TEST_F(ErrorsTest, WrongMethodIs405) {
  EXPECT_TRUE(is_openai_error(get(api(), "/v1/chat/completions", kAcmeKey), 405, "method_not_allowed"));
  expect_still_serving();
  EXPECT_TRUE(is_openai_error(post_json(api(), "/v1/models", Json::object(), kAcmeKey), 405, "method_not_allowed"));
  expect_still_serving();
}

TEST_F(ErrorsTest, UnknownModelIdUnderModelsIs404) {
  EXPECT_TRUE(is_openai_error(get(api(), "/v1/models/no-such-model", kAcmeKey), 404, "model_not_found"));
  expect_still_serving();
}

TEST_F(ErrorsTest, RequestNotReceivedInTimeIs408) {
  Connection conn(api());
  ASSERT_TRUE(conn.connected());
  const auto start = Clock::now();
  // Headers promise 100 bytes of body; one arrives.
  ASSERT_TRUE(conn.send("POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer sk-demo-acme\r\n"
                        "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{"));
  const Response res = conn.read_response(5000ms);
  const auto took = Clock::now() - start;
  EXPECT_TRUE(is_openai_error(res, 408, "request_timeout"));
  EXPECT_GE(took, 900ms) << "answered before request_read_timeout (1s)";
  EXPECT_LT(took, 3s);
  EXPECT_TRUE(conn.wait_closed(2000ms)) << "the connection stays open after a 408";
  expect_still_serving();
}

TEST_F(ErrorsTest, ExpectContinueIsAnsweredAtOnce) {
  // curl sends `Expect: 100-continue` for bodies over 1 KiB and waits for
  // the interim response (up to a second) before sending the body.
  const std::string body = chat_body("small", std::string(2048, 'a'), 2).dump();
  Connection conn(api());
  ASSERT_TRUE(conn.connected());
  ASSERT_TRUE(conn.send("POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer sk-demo-acme\r\n"
                        "Content-Type: application/json\r\nExpect: 100-continue\r\nContent-Length: " +
                        std::to_string(body.size()) + "\r\n\r\n"));
  Response interim;
  ASSERT_TRUE(conn.read_head(interim, 500ms)) << "no interim response: " << interim.error;
  EXPECT_EQ(interim.status, 100);
  ASSERT_TRUE(conn.send(body));
  const Response res = conn.read_response(5000ms);
  EXPECT_EQ(res.status, 200) << res.body;

  // A body over the limit is refused before the client sends it.
  Connection big(api());
  ASSERT_TRUE(big.connected());
  ASSERT_TRUE(big.send("POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer sk-demo-acme\r\n"
                       "Content-Type: application/json\r\nExpect: 100-continue\r\nContent-Length: 10000000\r\n\r\n"));
  EXPECT_TRUE(is_openai_error(big.read_response(2000ms), 413, "request_too_large"));
  expect_still_serving();
}

TEST_F(ErrorsTest, IdleConnectionIsClosedWithoutAnAnswer) {
  Connection conn(api());
  ASSERT_TRUE(conn.connected());
  Response res;
  EXPECT_FALSE(conn.read_head(res, 3000ms));
  EXPECT_EQ(res.error, "connection closed before the response head") << "an idle connection must be closed quietly";
  expect_still_serving();
}

TEST_F(ErrorsTest, BodyOverLimitIs413) {
  Json body = chat_body("small", std::string(70 * 1024, 'a'), 2);
  EXPECT_TRUE(is_openai_error(post_json(api(), "/v1/chat/completions", body, kAcmeKey), 413, "request_too_large"));
  expect_still_serving();
  // Just under the limit is fine.
  body = chat_body("small", std::string(60 * 1024, 'a'), 2);
  EXPECT_EQ(post_json(api(), "/v1/chat/completions", body, kAcmeKey).status, 200);
}

TEST_F(ErrorsTest, TooManyHeadersIs431) {
  std::vector<Header> headers{{"Authorization", "Bearer sk-demo-acme"}};
  for (int i = 0; i < 60; ++i) headers.push_back({"X-Filler-" + std::to_string(i), "v"});
  EXPECT_TRUE(is_openai_error(
      request(api(), "POST", "/v1/chat/completions", chat_body("small", "hi", 2).dump(), headers), 431,
      "headers_too_large"));
  expect_still_serving();
}

TEST_F(ErrorsTest, HeadersOverByteLimitAre431) {
  const std::vector<Header> headers{{"Authorization", "Bearer sk-demo-acme"}, {"X-Big", std::string(20000, 'h')}};
  EXPECT_TRUE(is_openai_error(
      request(api(), "POST", "/v1/chat/completions", chat_body("small", "hi", 2).dump(), headers), 431,
      "headers_too_large"));
  expect_still_serving();
}

TEST_F(ErrorsTest, EngineErrorStatusIsPassedThrough) {
  const std::uint16_t engine = engine_port("flaky");
  ASSERT_NE(engine, 0);
  for (const int status : {500, 503}) {
    ASSERT_TRUE(set_engine_fault(engine, {{"error_rate", 1.0}, {"error_status", status}}));
    const Response res = chat("flaky");
    EXPECT_EQ(res.status, status) << res.body;
    EXPECT_TRUE(res.json().contains("error")) << res.body;
    // Streamed requests get the same status before any event.
    SseStream stream(api(), "/v1/chat/completions", chat_body("flaky", "hi", 3, true), kAcmeKey);
    EXPECT_EQ(stream.head().status, status);
  }
  ASSERT_TRUE(clear_engine_faults(engine));
  EXPECT_EQ(chat("flaky").status, 200);
  expect_still_serving();
}

TEST_F(ErrorsTest, EngineCrashDuringRequestIs502) {
  const std::uint16_t engine = engine_port("fragile");
  ASSERT_NE(engine, 0);
  auto pending = std::async(std::launch::async, [port = api()] {
    const auto start = Clock::now();
    Response res = post_json(port, "/v1/chat/completions", chat_body("fragile", "write a lot", 1000), kAcmeKey, {},
                             10000ms);
    return std::make_pair(res, Clock::now() - start);
  });
  ASSERT_TRUE(wait_until(
      [&] { return metric_value(engine_metrics(engine), "vllm:num_requests_running").value_or(0) >= 1; }, 3000ms))
      << "the request never reached the engine";
  const auto crash_at = Clock::now();
  set_engine_fault(engine, {{"crash", true}});  // no answer: it exits at once
  ASSERT_EQ(pending.wait_for(5s), std::future_status::ready) << "the request hangs after its engine died";
  const auto [res, took] = pending.get();
  EXPECT_TRUE(is_openai_error(res, 502, "upstream_error"));
  // Fails fast, not after a timeout: only the retry's wait (1 s) for a
  // replacement instance, which this lone instance's cold start cannot meet.
  EXPECT_LT(Clock::now() - crash_at, 2500ms) << "a broken engine connection must fail fast, not wait for a timeout";
  expect_still_serving();
}

TEST_F(ErrorsTest, EngineDropMidStreamEndsTheStreamWithAnErrorEvent) {
  const std::uint16_t engine = engine_port("dropper");
  ASSERT_NE(engine, 0);
  ASSERT_TRUE(set_engine_fault(engine, {{"drop_after_tokens", 3}}));
  SseStream stream(api(), "/v1/chat/completions", chat_body("dropper", "hi", 20, true), kAcmeKey);
  ASSERT_EQ(stream.head().status, 200) << stream.head().error;
  const auto events = stream.read_all(5s);
  EXPECT_TRUE(stream.ended()) << "the stream did not end after its engine dropped it";
  EXPECT_TRUE(stream.clean_end()) << "the gateway should end the chunked body properly, not cut the connection";
  ASSERT_GE(events.size(), 2u);
  int tokens = 0;
  std::optional<Json> error;
  for (const auto& e : events) {
    const Json doc = e.json();
    if (doc.is_object() && doc.contains("error")) {
      EXPECT_FALSE(error.has_value()) << "two error events";
      error = doc;
    } else if (doc.is_object() && !doc["choices"].empty() && doc["choices"][0]["delta"].contains("content")) {
      EXPECT_FALSE(error.has_value()) << "a token after the error event";
      ++tokens;
    }
  }
  EXPECT_EQ(tokens, 3);
  ASSERT_TRUE(error.has_value()) << "no error event";
  EXPECT_EQ((*error)["error"]["code"], "upstream_error") << *error;
  EXPECT_TRUE((*error)["error"]["message"].is_string());
  ASSERT_TRUE(clear_engine_faults(engine));
  expect_still_serving();
}

TEST_F(ErrorsTest, NoInstanceLeftIs503) {
  const std::uint16_t engine = engine_port("doomed");
  ASSERT_NE(engine, 0);
  set_engine_fault(engine, {{"crash", true}});
  EXPECT_TRUE(wait_until([&] { return gateway_->instances("doomed").empty(); }, 3000ms))
      << "the crashed instance is still listed";
  const auto start = Clock::now();
  const Response res = chat("doomed");
  EXPECT_TRUE(is_openai_error(res, 503, "no_instance_available"));
  EXPECT_LT(Clock::now() - start, 1s);
  SseStream stream(api(), "/v1/chat/completions", chat_body("doomed", "hi", 3, true), kAcmeKey);
  EXPECT_EQ(stream.head().status, 503);
  expect_still_serving();
}

TEST_F(ErrorsTest, EngineThatNeverAnswersIs504AfterUpstreamTimeout) {
  const std::uint16_t engine = engine_port("stuck");
  ASSERT_NE(engine, 0);
  ASSERT_TRUE(set_engine_fault(engine, {{"hang", true}}));
  for (const bool stream : {false, true}) {
    SCOPED_TRACE(stream ? "streamed" : "not streamed");
    const auto start = Clock::now();
    const Response res =
        post_json(api(), "/v1/chat/completions", chat_body("stuck", "hello?", 4, stream), kAcmeKey, {}, 10000ms);
    const auto took = Clock::now() - start;
    EXPECT_TRUE(is_openai_error(res, 504, "upstream_timeout"));
    EXPECT_GE(took, 1800ms) << "gave up before upstream_timeout (2s)";
    EXPECT_LT(took, 5s);
  }
  ASSERT_TRUE(clear_engine_faults(engine));
  EXPECT_EQ(chat("stuck").status, 200);
  expect_still_serving();
}

}  // namespace
}  // namespace sluice::itest
