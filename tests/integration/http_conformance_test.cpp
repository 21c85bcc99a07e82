// HTTP and API correctness: `Connection: close` and HTTP/1.0 end the
// connection on every route, pipelined requests included; a body over the
// limit reaches the client as a readable 413 (the gateway drains what the
// client still sends before closing); a request that can never be served
// (beyond the model's context length) is a 400, not a retriable 429
// (quota_test.cpp: more than the tenant's whole tpm); chat messages carry `refusal: null`; the
// start banner prints the demo keys only for configs that accept them; and
// the removed `limits.budget` is an error that points at `budgets:`.
#include <fmt/format.h>

#include "harness.h"

namespace sluice::itest {
namespace {

class HttpConformanceTest : public SharedGatewayTest<HttpConformanceTest> {
 public:  // config() is read by SharedGatewayTest
  static std::string config() {
    return "listen: {api: 127.0.0.1:0, admin: 127.0.0.1:0}\n"
           "server: {request_read_timeout: 5s, upstream_timeout: 10s, shutdown_grace: 1s}\n" +
           demo_tenants_yaml() +
           "models:\n"
           "  - name: small\n"
           "    source: sim\n"
           "    sim: {instances: 1, profile: instant}\n"
           "  - name: short\n"
           "    source: sim\n"
           "    sim: {instances: 1, profile: instant}\n"
           "    max_model_len: 100\n"
           "  - name: big\n"
           "    source: sim\n"
           "    sim: {instances: 1, profile: llama-3.1-8b-h100, speedup: 100}\n";
  }
};

const std::string kAuth = "Authorization: Bearer sk-demo-acme\r\n";

/// Sends `raw`, reads `responses` answers, then expects the gateway to close.
void expect_answers_then_close(std::uint16_t port, const std::string& raw, const std::vector<int>& statuses) {
  Connection conn(port);
  ASSERT_TRUE(conn.connected());
  ASSERT_TRUE(conn.send(raw));
  for (const int status : statuses) {
    const Response res = conn.read_response(3000ms);
    ASSERT_TRUE(res.ok()) << res.error;
    EXPECT_EQ(res.status, status) << res.body;
  }
  EXPECT_TRUE(conn.wait_closed(2000ms)) << "the gateway kept the connection open: " << raw.substr(0, raw.find('\r'));
}

TEST_F(HttpConformanceTest, ConnectionCloseEndsTheConnectionOnEveryRoute) {
  expect_answers_then_close(api(), "GET /v1/models HTTP/1.1\r\nHost: x\r\n" + kAuth + "Connection: close\r\n\r\n", {200});
  expect_answers_then_close(api(), "GET /v1/models/small HTTP/1.1\r\nHost: x\r\n" + kAuth + "Connection: close\r\n\r\n",
                            {200});
  expect_answers_then_close(api(), "GET /v1/models/nope HTTP/1.1\r\nHost: x\r\n" + kAuth + "Connection: close\r\n\r\n",
                            {404});
  expect_answers_then_close(api(), "GET /nowhere HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", {404});
  expect_answers_then_close(api(), "GET /v1/chat/completions HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", {405});
  expect_answers_then_close(api(), "GET /v1/models HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", {401});
  expect_answers_then_close(
      api(), build_request("POST", "/v1/chat/completions", chat_body("small", "hi", 2).dump(),
                           {{"Authorization", "Bearer sk-demo-acme"}}),
      {200});
}

TEST_F(HttpConformanceTest, Http10WithoutKeepAliveEndsTheConnection) {
  expect_answers_then_close(api(), "GET /v1/models HTTP/1.0\r\n" + kAuth + "\r\n", {200});
  expect_answers_then_close(api(), "GET /nowhere HTTP/1.0\r\n\r\n", {404});
  // HTTP/1.0 asking for keep-alive keeps it.
  Connection conn(api());
  ASSERT_TRUE(conn.send("GET /v1/models HTTP/1.0\r\n" + kAuth + "Connection: keep-alive\r\n\r\n"));
  EXPECT_EQ(conn.read_response(3000ms).status, 200);
  EXPECT_FALSE(conn.wait_closed(300ms));
}

TEST_F(HttpConformanceTest, PipelinedRequestsEndingWithConnectionCloseEndTheConnection) {
  const std::string keep = "GET /v1/models HTTP/1.1\r\nHost: x\r\n" + kAuth + "\r\n";
  const std::string chat = build_request("POST", "/v1/chat/completions", chat_body("small", "hi", 2).dump(),
                                         {{"Authorization", "Bearer sk-demo-acme"}}, /*keep_alive=*/true);
  const std::string close = "GET /nowhere HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  expect_answers_then_close(api(), keep + chat + close, {200, 200, 404});
  // Nothing after a `Connection: close` request is answered.
  expect_answers_then_close(api(), close + keep, {404});
}

TEST_F(HttpConformanceTest, BodyOverTheLimitIsA413TheClientCanRead) {
  // 5 MiB over the default 4 MiB limit, sent whole before reading, as SDKs
  // do: closing with the body unread would reset the connection first.
  const std::string body = chat_body("small", std::string(5 * 1024 * 1024, 'a'), 2).dump();
  for (int i = 0; i < 3; ++i) {
    Connection conn(api());
    ASSERT_TRUE(conn.connected());
    EXPECT_TRUE(conn.send(build_request("POST", "/v1/chat/completions", body, {{"Authorization", "Bearer sk-demo-acme"}})))
        << "the gateway reset the connection while the body was sent";
    const Response res = conn.read_response(5000ms);
    EXPECT_TRUE(is_openai_error(res, 413, "request_too_large")) << res.error;
    EXPECT_TRUE(conn.wait_closed(3000ms));
  }
  // Chunked, without a Content-Length: the limit is found mid-body.
  Connection conn(api());
  ASSERT_TRUE(conn.connected());
  std::string chunked = "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n" + kAuth +
                        "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (std::size_t at = 0; at < body.size(); at += 64 * 1024) {
    const std::string_view part = std::string_view(body).substr(at, 64 * 1024);
    chunked += fmt::format("{:x}\r\n", part.size());
    chunked += part;
    chunked += "\r\n";
  }
  chunked += "0\r\n\r\n";
  EXPECT_TRUE(conn.send(chunked)) << "the gateway reset the connection while the body was sent";
  EXPECT_TRUE(is_openai_error(conn.read_response(5000ms), 413, "request_too_large"));
}

TEST_F(HttpConformanceTest, BeyondTheContextLengthIs400NotA429) {
  // `short` has max_model_len: 100 in the config.
  const Response too_long = post_json(api(), "/v1/chat/completions", chat_body("short", "hello", 200), kAcmeKey);
  ASSERT_TRUE(is_openai_error(too_long, 400, "context_length_exceeded"));
  EXPECT_EQ(too_long.json()["error"]["type"], "invalid_request_error");
  EXPECT_EQ(too_long.json()["error"]["param"], "messages");
  EXPECT_NE(too_long.json()["error"]["message"].get<std::string>().find("maximum context length is 100"),
            std::string::npos)
      << too_long.body;
  EXPECT_TRUE(too_long.header("Retry-After").empty());
  EXPECT_EQ(post_json(api(), "/v1/chat/completions", chat_body("short", "hello", 50), kAcmeKey).status, 200);
  // Its engine was started with the same limit.
  const auto engines = gateway_->instances("short");
  ASSERT_EQ(engines.size(), 1u);
  EXPECT_EQ(get(engines[0].port, "/v1/models").json()["data"][0].value("max_model_len", 0), 100);
  const Response prompt =
      post_json(api(), "/v1/completions", completion_body("short", std::string(2000, 'x') + " words", 5), kAcmeKey);
  EXPECT_TRUE(is_openai_error(prompt, 400, "context_length_exceeded")) << prompt.body;
  // A sim model takes its profile's (llama-3.1-8b-h100: 131072).
  EXPECT_TRUE(is_openai_error(post_json(api(), "/v1/chat/completions", chat_body("big", "hello", 200000), kAcmeKey),
                              400, "context_length_exceeded"));
  // The instant profile's is huge: no refusal.
  EXPECT_EQ(post_json(api(), "/v1/chat/completions", chat_body("small", "hello", 5), kAcmeKey).status, 200);
}

TEST(HttpConformanceStaticTest, AStaticModelTakesItsContextLengthFromTheEngine) {
  // No max_model_len in the config: the engine's GET /v1/models says 100.
  EngineSim engine({"--max-model-len", "100", "--served-model-name", "small"});
  ASSERT_TRUE(engine.start()) << engine.error();
  Gateway gateway(make_config("", "  - name: small\n"
                                  "    source: static\n"
                                  "    static: {endpoints: [http://127.0.0.1:" + std::to_string(engine.port()) + "]}\n"));
  ASSERT_TRUE(gateway.start()) << gateway.error();
  // Learned after the endpoint's first passing health check; until then the
  // engine's own 400 (max_tokens above its max_model_len) comes back.
  ASSERT_TRUE(wait_until([&] { return get(gateway.admin_port(), "/readyz").status == 200; }, 10000ms));
  Response too_long;
  EXPECT_TRUE(wait_until([&] {
    too_long = post_json(gateway.api_port(), "/v1/chat/completions", chat_body("small", "hello", 200), kAcmeKey);
    return is_openai_error(too_long, 400, "context_length_exceeded");
  }, 5000ms)) << too_long.status << " " << too_long.body;
  EXPECT_TRUE(is_openai_error(too_long, 400, "context_length_exceeded")) << too_long.body;
  EXPECT_NE(too_long.body.find("maximum context length is 100"), std::string::npos) << too_long.body;
  EXPECT_EQ(post_json(gateway.api_port(), "/v1/chat/completions", chat_body("small", "hello", 20), kAcmeKey).status,
            200);
}

TEST_F(HttpConformanceTest, ChatMessageHasANullRefusal) {
  const Response res = post_json(api(), "/v1/chat/completions", chat_body("small", "hello", 3), kAcmeKey);
  ASSERT_EQ(res.status, 200) << res.body;
  const Json message = res.json()["choices"][0]["message"];
  ASSERT_TRUE(message.contains("refusal")) << res.body;
  EXPECT_TRUE(message["refusal"].is_null()) << res.body;
}

/// A config whose only tenant has a key that is not a demo key (and, with
/// `old_budget`, the removed `limits.budget`).
std::string private_config(bool old_budget = false) {
  return "listen: {api: 127.0.0.1:0, admin: 127.0.0.1:0}\n"
         "server: {shutdown_grace: 1s}\n"
         "tenants:\n"
         "  - id: private\n"
         "    api_keys: [sha256:" + std::string(64, 'e') + "]\n"
         "    models: [\"*\"]\n"
         + std::string(old_budget ? "    limits: {budget: 25.5}\n" : "") +
         "models:\n"
         "  - name: small\n"
         "    source: sim\n"
         "    sim: {instances: 1, profile: instant}\n";
}

/// Runs `sluice serve` without --quiet for a moment; its stderr.
std::string serve_banner(const std::string& config_yaml) {
  TempDir dir;
  const std::string path = dir.write("sluice.yaml", config_yaml);
  const auto result = run_command({sluice_binary(), "serve", "--config", path}, 4000ms);
  return result.err;
}

TEST(HttpConformanceBanner, DemoKeysArePrintedOnlyForConfigsThatAcceptThem) {
  const std::string mine = serve_banner(private_config());
  ASSERT_NE(mine.find("sluice is ready"), std::string::npos) << mine;
  EXPECT_EQ(mine.find("sk-demo"), std::string::npos) << mine;
  EXPECT_EQ(mine.find("warning:"), std::string::npos) << mine;

  const std::string demo =
      serve_banner(make_config("shutdown_grace: 1s", "  - name: small\n    source: sim\n    sim: {instances: 1, profile: instant}\n"));
  ASSERT_NE(demo.find("sluice is ready"), std::string::npos) << demo;
  EXPECT_NE(demo.find("sk-demo-acme"), std::string::npos) << demo;
}

TEST(HttpConformanceBanner, CheckConfigRefusesTheOldLimitsBudget) {
  TempDir dir;
  const std::string path = dir.write("sluice.yaml", private_config(/*old_budget=*/true));
  const auto result = run_command({sluice_binary(), "check-config", path}, 10000ms);
  EXPECT_EQ(result.exit_code, 2) << result.out << result.err;
  const std::string all = result.out + result.err;
  EXPECT_NE(all.find("sluice.yaml:7:"), std::string::npos) << all;
  EXPECT_NE(all.find("tenants[0].limits.budget"), std::string::npos) << all;
  EXPECT_NE(all.find("budgets:"), std::string::npos) << all;
}

}  // namespace
}  // namespace sluice::itest
