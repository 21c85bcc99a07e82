#include "sluice/engine/sim_server.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "sluice/core/token_estimate.h"

namespace sluice::engine {
namespace {

namespace asio = net::asio;
namespace http = net::http;
using nlohmann::json;

/// A sim server on an ephemeral port, on its own io thread.
class TestServer {
 public:
  explicit TestServer(EngineProfile profile, const std::function<void(SimServerConfig&)>& edit = {}) {
    SimServerConfig config;
    config.host = "127.0.0.1";
    config.port = 0;
    config.profile = std::move(profile);
    config.served_model_name = "sim-model";
    config.seed = 5;
    if (edit) edit(config);
    server_ = std::make_unique<SimServer>(io_, std::move(config));
    auto port = server_->start();
    EXPECT_TRUE(port) << port.error();
    port_ = port.value_or(0);
    thread_ = std::thread([this] { io_.run(); });
  }
  ~TestServer() {
    asio::post(io_, [this] { server_->stop(); });
    thread_.join();
  }
  std::uint16_t port() const { return port_; }
  /// True once the io thread has nothing left to run (the server stopped itself).
  bool stopped() const { return io_.stopped(); }

 private:
  asio::io_context io_{1};
  std::unique_ptr<SimServer> server_;
  std::uint16_t port_ = 0;
  std::thread thread_;
};

struct Reply {
  int status = 0;
  std::string body;
  http::fields headers;
  net::error_code ec;
};

net::tcp::socket connect(asio::io_context& io, std::uint16_t port) {
  net::tcp::socket socket(io);
  socket.connect({asio::ip::make_address("127.0.0.1"), port});
  return socket;
}

http::request<http::string_body> make_request(http::verb verb, std::string_view target, std::string body) {
  http::request<http::string_body> req{verb, target, 11};
  req.set(http::field::host, "127.0.0.1");
  req.set(http::field::content_type, "application/json");
  req.body() = std::move(body);
  req.prepare_payload();
  return req;
}

Reply read_reply(net::tcp::socket& socket) {
  net::beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(64 << 20);
  Reply reply;
  http::read(socket, buffer, parser, reply.ec);
  reply.status = static_cast<int>(parser.get().result_int());
  reply.body = parser.get().body();
  reply.headers = parser.get().base();
  return reply;
}

Reply call(std::uint16_t port, http::verb verb, std::string_view target, std::string body = "",
           std::function<void(http::request<http::string_body>&)> edit = {}) {
  asio::io_context io;
  auto socket = connect(io, port);
  auto req = make_request(verb, target, std::move(body));
  if (edit) edit(req);
  http::write(socket, req);
  return read_reply(socket);
}

/// The events of an SSE body, without the "data: " prefix.
std::vector<std::string> sse_events(const std::string& body) {
  std::vector<std::string> events;
  std::size_t pos = 0;
  while (pos < body.size()) {
    const auto end = body.find("\n\n", pos);
    if (end == std::string::npos) break;
    const std::string event = body.substr(pos, end - pos);
    EXPECT_TRUE(event.starts_with("data: ")) << event;
    events.push_back(event.substr(6));
    pos = end + 2;
  }
  EXPECT_EQ(pos, body.size()) << "trailing bytes in SSE body";
  return events;
}

/// Value of the first sample of `name` in /metrics, or -1.
double metric(std::uint16_t port, std::string_view name) {
  const auto reply = call(port, http::verb::get, "/metrics");
  std::istringstream lines(reply.body);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.starts_with(name) && line.size() > name.size() && (line[name.size()] == '{' || line[name.size()] == ' ')) {
      return std::stod(line.substr(line.rfind(' ') + 1));
    }
  }
  return -1;
}

bool poll_until(const std::function<bool()>& done) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return done();
}

/// 5 ms per step, big KV: requests run for a while.
EngineProfile slow_profile() {
  EngineProfile p = *find_profile("instant");
  p.decode_base_ms = 5;
  p.wake_s = 0.05;
  return p;
}

std::string chat_body(int max_tokens, bool stream, bool include_usage) {
  json body{{"model", "sim-model"},
            {"messages", json::array({{{"role", "system"}, {"content", "Be brief."}}, {{"role", "user"}, {"content", "Say hi to the gateway"}}})},
            {"max_tokens", max_tokens},
            {"stream", stream}};
  if (include_usage) body["stream_options"] = {{"include_usage", true}};
  return body.dump();
}

std::int64_t expected_prompt_tokens() {
  core::ChatTokenEstimate estimate;
  estimate.add_message("system", "Be brief.");
  estimate.add_message("user", "Say hi to the gateway");
  return estimate.total();
}

TEST(EngineSimServer, NonStreamedChatCompletion) {
  TestServer server(*find_profile("instant"));
  const auto reply = call(server.port(), http::verb::post, "/v1/chat/completions", chat_body(5, false, false),
                          [](auto& req) { req.set("x-request-id", "req-42"); });
  ASSERT_EQ(reply.status, 200) << reply.body;
  EXPECT_EQ(reply.headers["x-request-id"], "req-42");
  const auto body = json::parse(reply.body);
  EXPECT_EQ(body["object"], "chat.completion");
  EXPECT_EQ(body["model"], "sim-model");
  EXPECT_TRUE(body["id"].get<std::string>().starts_with("chatcmpl-"));
  EXPECT_EQ(body["choices"][0]["message"]["role"], "assistant");
  EXPECT_EQ(body["choices"][0]["finish_reason"], "length");
  EXPECT_EQ(body["usage"]["prompt_tokens"], expected_prompt_tokens());
  EXPECT_EQ(body["usage"]["completion_tokens"], 5);
  EXPECT_EQ(body["usage"]["total_tokens"], expected_prompt_tokens() + 5);
  EXPECT_EQ(body["usage"]["prompt_tokens_details"]["cached_tokens"], 0);
  const std::string content = body["choices"][0]["message"]["content"];
  EXPECT_EQ(std::count(content.begin(), content.end(), ' '), 5);

  // The same prompt again gives the same text (deterministic synthetic output).
  const auto again = json::parse(call(server.port(), http::verb::post, "/v1/chat/completions", chat_body(5, false, false)).body);
  EXPECT_EQ(again["choices"][0]["message"]["content"], content);

  const auto text = call(server.port(), http::verb::post, "/v1/completions", R"({"prompt":"abcdefgh","max_tokens":3})");
  ASSERT_EQ(text.status, 200) << text.body;
  const auto tbody = json::parse(text.body);
  EXPECT_EQ(tbody["object"], "text_completion");
  EXPECT_EQ(tbody["usage"]["prompt_tokens"], 2);
  EXPECT_EQ(tbody["usage"]["completion_tokens"], 3);
}

TEST(EngineSimServer, StreamedChatWithUsage) {
  TestServer server(slow_profile());
  const auto reply = call(server.port(), http::verb::post, "/v1/chat/completions", chat_body(4, true, true));
  ASSERT_EQ(reply.status, 200) << reply.body;
  EXPECT_EQ(reply.headers[http::field::content_type], "text/event-stream");
  EXPECT_EQ(reply.headers[http::field::transfer_encoding], "chunked");
  const auto events = sse_events(reply.body);
  ASSERT_EQ(events.size(), 4U + 1 + 1 + 1);
  for (int i = 0; i < 4; ++i) {
    const auto chunk = json::parse(events[i]);
    EXPECT_EQ(chunk["object"], "chat.completion.chunk");
    EXPECT_EQ(chunk["choices"][0]["delta"].contains("role"), i == 0);
    EXPECT_TRUE(chunk["choices"][0]["finish_reason"].is_null());
  }
  EXPECT_EQ(json::parse(events[4])["choices"][0]["finish_reason"], "length");
  const auto usage = json::parse(events[5]);
  EXPECT_TRUE(usage["choices"].empty());
  EXPECT_EQ(usage["usage"]["prompt_tokens"], expected_prompt_tokens());
  EXPECT_EQ(usage["usage"]["completion_tokens"], 4);
  EXPECT_EQ(events[6], "[DONE]");
}

TEST(EngineSimServer, StreamedWithoutUsageHasNoUsageChunk) {
  TestServer server(*find_profile("instant"));
  const auto reply = call(server.port(), http::verb::post, "/v1/chat/completions", chat_body(3, true, false));
  ASSERT_EQ(reply.status, 200);
  const auto events = sse_events(reply.body);
  ASSERT_EQ(events.size(), 3U + 1 + 1);
  EXPECT_EQ(events.back(), "[DONE]");
  for (const auto& e : events) EXPECT_EQ(e.find("\"usage\""), std::string::npos);
}

TEST(EngineSimServer, KeepAliveServesSeveralRequestsOnOneConnection) {
  TestServer server(*find_profile("instant"));
  asio::io_context io;
  auto socket = connect(io, server.port());
  for (int i = 0; i < 3; ++i) {
    http::write(socket, make_request(http::verb::post, "/v1/chat/completions", chat_body(2, i == 1, false)));
    const auto reply = read_reply(socket);
    ASSERT_FALSE(reply.ec) << reply.ec.message();
    EXPECT_EQ(reply.status, 200);
  }
}

TEST(EngineSimServer, BadRequestsAreOpenAiErrors) {
  TestServer server(*find_profile("instant"));
  const auto bad_json = call(server.port(), http::verb::post, "/v1/chat/completions", "{oops");
  EXPECT_EQ(bad_json.status, 400);
  // vLLM's error body: type is its exception name, code the HTTP status as a number.
  EXPECT_EQ(json::parse(bad_json.body)["error"]["type"], "BadRequestError");
  EXPECT_EQ(json::parse(bad_json.body)["error"]["code"], 400);
  EXPECT_EQ(call(server.port(), http::verb::post, "/v1/chat/completions", R"({"model":"sim-model"})").status, 400);
  EXPECT_EQ(call(server.port(), http::verb::post, "/v1/completions", R"({"prompt":7})").status, 400);
  const auto wrong_model = call(server.port(), http::verb::post, "/v1/chat/completions",
                                R"({"model":"other","messages":[{"role":"user","content":"x"}]})");
  EXPECT_EQ(wrong_model.status, 404);
  EXPECT_EQ(json::parse(wrong_model.body)["error"]["code"], 404);
  EXPECT_EQ(json::parse(wrong_model.body)["error"]["type"], "NotFoundError");
  // Unknown paths and wrong methods answer as vLLM's FastAPI app does.
  const auto nope = call(server.port(), http::verb::get, "/nope");
  EXPECT_EQ(nope.status, 404);
  EXPECT_EQ(json::parse(nope.body), json::parse(R"({"detail":"Not Found"})"));
  const auto get_chat = call(server.port(), http::verb::get, "/v1/chat/completions");
  EXPECT_EQ(get_chat.status, 405);
  EXPECT_EQ(json::parse(get_chat.body), json::parse(R"({"detail":"Method Not Allowed"})"));
  EXPECT_EQ(call(server.port(), http::verb::post, "/health").status, 405);
}

// What vLLM 0.32 answered to the same requests (tests/conformance/compare_shapes.py).
TEST(EngineSimServer, RefusesAsVllmDoes) {
  EngineProfile profile = *find_profile("instant");
  profile.max_model_len = 2048;
  TestServer server(profile);
  const auto refusal = [&](const json& patch) {
    json body = json::parse(chat_body(5, false, false));
    body.merge_patch(patch);
    const auto reply = call(server.port(), http::verb::post, "/v1/chat/completions", body.dump());
    EXPECT_EQ(reply.status, 400) << body.dump();
    const auto doc = json::parse(reply.body);
    EXPECT_EQ(doc["error"]["type"], "BadRequestError");
    EXPECT_EQ(doc["error"]["code"], 400);
    return doc["error"];
  };
  const auto cold = refusal({{"temperature", -1}});
  EXPECT_EQ(cold["message"], "temperature must be non-negative, got -1.0. (parameter=temperature, value=-1.0)");
  EXPECT_EQ(cold["param"], "temperature");
  EXPECT_EQ(refusal({{"temperature", 2.5}})["message"], "temperature must be in [0, 2], got 2.5. (parameter=temperature, value=2.5)");
  EXPECT_EQ(refusal({{"top_p", 0}})["param"], "top_p");
  EXPECT_EQ(refusal({{"max_tokens", 0}})["message"], "max_tokens must be at least 1, got 0. (parameter=max_tokens, value=0)");
  const auto big = refusal({{"max_tokens", 1000000}});
  EXPECT_EQ(big["message"], "max_tokens=1000000 cannot be greater than max_model_len=2048. Please request fewer output "
                            "tokens. (parameter=max_tokens, value=1000000)");
  EXPECT_EQ(big["param"], "max_tokens");
  json long_prompt = json::parse(chat_body(5, false, false));
  std::string words;
  for (int i = 0; i < 3000; ++i) words += "hello ";
  long_prompt["messages"] = json::array({{{"role", "user"}, {"content", words}}});
  const auto reply = call(server.port(), http::verb::post, "/v1/chat/completions", long_prompt.dump());
  EXPECT_EQ(reply.status, 400);
  EXPECT_EQ(json::parse(reply.body)["error"]["param"], "input_tokens") << reply.body;
  // A prompt that leaves less room than max_tokens: served, up to the context's end.
  long_prompt["messages"] = json::array({{{"role", "user"}, {"content", words.substr(0, 6 * 1000)}}});
  long_prompt["max_tokens"] = 1000;
  const auto capped = call(server.port(), http::verb::post, "/v1/chat/completions", long_prompt.dump());
  ASSERT_EQ(capped.status, 200) << capped.body;
  const auto usage = json::parse(capped.body)["usage"];
  EXPECT_EQ(usage["prompt_tokens"].get<int>() + usage["completion_tokens"].get<int>(), 2048) << usage;
  EXPECT_EQ(json::parse(capped.body)["choices"][0]["finish_reason"], "length");
  // Accepted as vLLM accepts them.
  json fine = json::parse(chat_body(2, false, false));
  fine["temperature"] = 0;
  fine["top_p"] = 1;
  EXPECT_EQ(call(server.port(), http::verb::post, "/v1/chat/completions", fine.dump()).status, 200);
}

TEST(EngineSimServer, ModelsAndHealthLookLikeVllms) {
  TestServer server(*find_profile("instant"));
  const auto models = json::parse(call(server.port(), http::verb::get, "/v1/models").body);
  EXPECT_TRUE(models["data"][0]["parent"].is_null());
  EXPECT_EQ(models["data"][0]["permission"][0]["object"], "model_permission");
  const auto health = call(server.port(), http::verb::get, "/health");
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(health.body, "");
  EXPECT_EQ(health.headers.count(http::field::content_type), 0U);
}

TEST(EngineSimServer, ModelsHealthAndMetrics) {
  TestServer server(*find_profile("instant"));
  const auto models = json::parse(call(server.port(), http::verb::get, "/v1/models").body);
  EXPECT_EQ(models["data"][0]["id"], "sim-model");
  EXPECT_EQ(call(server.port(), http::verb::get, "/health").status, 200);
  ASSERT_EQ(call(server.port(), http::verb::post, "/v1/chat/completions", chat_body(3, false, false)).status, 200);
  const auto metrics = call(server.port(), http::verb::get, "/metrics").body;
  for (const char* name : {"vllm:num_requests_running{model_name=\"sim-model\"} 0", "vllm:num_requests_waiting{",
                           "vllm:kv_cache_usage_perc{", "vllm:time_to_first_token_seconds_bucket{",
                           "vllm:inter_token_latency_seconds_count{", "vllm:prefix_cache_queries_total{",
                           "vllm:prefix_cache_hits_total{", "sluice_sim_requests_cancelled_total{"}) {
    EXPECT_NE(metrics.find(name), std::string::npos) << name;
  }
  EXPECT_EQ(metric(server.port(), "vllm:generation_tokens_total"), 3);
  EXPECT_EQ(metric(server.port(), "vllm:prompt_tokens_total"), static_cast<double>(expected_prompt_tokens()));
  EXPECT_NE(metrics.find("vllm:request_success_total{finished_reason=\"length\",model_name=\"sim-model\"} 1"), std::string::npos);
}

TEST(EngineSimServer, PrefixCacheHitsShowInUsage) {
  TestServer server(*find_profile("instant"));
  json body{{"messages", json::array({{{"role", "user"}, {"content", std::string(400, 'p')}}})},
            {"max_tokens", 1},
            {"cache_salt", "tenant-a"}};
  ASSERT_EQ(call(server.port(), http::verb::post, "/v1/chat/completions", body.dump()).status, 200);
  const auto hit = json::parse(call(server.port(), http::verb::post, "/v1/chat/completions", body.dump()).body);
  EXPECT_GT(hit["usage"]["prompt_tokens_details"]["cached_tokens"].get<int>(), 0);
  body["cache_salt"] = "tenant-b";
  const auto miss = json::parse(call(server.port(), http::verb::post, "/v1/chat/completions", body.dump()).body);
  EXPECT_EQ(miss["usage"]["prompt_tokens_details"]["cached_tokens"], 0);
}

TEST(EngineSimServer, ClientDisconnectCancelsNonStreamedRequest) {
  TestServer server(slow_profile());
  {
    asio::io_context io;
    auto socket = connect(io, server.port());
    http::write(socket, make_request(http::verb::post, "/v1/chat/completions", chat_body(100000, false, false)));
    ASSERT_TRUE(poll_until([&] { return metric(server.port(), "vllm:num_requests_running") == 1; }));
  }  // closes the connection
  EXPECT_TRUE(poll_until([&] { return metric(server.port(), "sluice_sim_requests_cancelled_total") == 1; }));
  EXPECT_EQ(metric(server.port(), "vllm:num_requests_running"), 0);
  EXPECT_EQ(metric(server.port(), "vllm:kv_cache_usage_perc"), 0);
}

TEST(EngineSimServer, ClientDisconnectCancelsStream) {
  TestServer server(slow_profile());
  {
    asio::io_context io;
    auto socket = connect(io, server.port());
    http::write(socket, make_request(http::verb::post, "/v1/chat/completions", chat_body(100000, true, false)));
    net::beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    http::read_header(socket, buffer, parser);
    EXPECT_EQ(parser.get().result_int(), 200U);
  }
  EXPECT_TRUE(poll_until([&] { return metric(server.port(), "sluice_sim_requests_cancelled_total") == 1; }));
  EXPECT_EQ(metric(server.port(), "vllm:num_requests_running"), 0);
}

TEST(EngineSimServer, SleepAndWakeUp) {
  TestServer server(slow_profile());
  EXPECT_EQ(json::parse(call(server.port(), http::verb::get, "/is_sleeping").body)["is_sleeping"], false);
  EXPECT_EQ(call(server.port(), http::verb::post, "/sleep?level=1").status, 200);
  EXPECT_EQ(json::parse(call(server.port(), http::verb::get, "/is_sleeping").body)["is_sleeping"], true);
  EXPECT_EQ(call(server.port(), http::verb::get, "/health").status, 200);
  EXPECT_EQ(call(server.port(), http::verb::post, "/v1/chat/completions", chat_body(2, false, false)).status, 503);
  EXPECT_EQ(call(server.port(), http::verb::post, "/wake_up").status, 200);
  EXPECT_EQ(json::parse(call(server.port(), http::verb::get, "/is_sleeping").body)["is_sleeping"], false);
  EXPECT_EQ(call(server.port(), http::verb::post, "/v1/chat/completions", chat_body(2, false, false)).status, 200);
}

TEST(EngineSimServer, InjectedFaults) {
  TestServer server(slow_profile());
  auto set = call(server.port(), http::verb::post, "/admin/faults", R"({"error_rate":1.0,"error_status":429})");
  ASSERT_EQ(set.status, 200) << set.body;
  const auto refused = call(server.port(), http::verb::post, "/v1/chat/completions", chat_body(2, false, false));
  EXPECT_EQ(refused.status, 429);
  EXPECT_TRUE(json::parse(refused.body).contains("error"));
  EXPECT_EQ(call(server.port(), http::verb::delete_, "/admin/faults").status, 200);
  EXPECT_EQ(json::parse(call(server.port(), http::verb::get, "/admin/faults").body)["error_rate"], 0.0);

  ASSERT_EQ(call(server.port(), http::verb::post, "/admin/faults", R"({"drop_after_tokens":2})").status, 200);
  const auto dropped = call(server.port(), http::verb::post, "/v1/chat/completions", chat_body(10, true, true));
  EXPECT_TRUE(dropped.ec);  // the connection died mid-stream
  EXPECT_EQ(dropped.body.find("[DONE]"), std::string::npos);

  EXPECT_EQ(call(server.port(), http::verb::post, "/admin/faults", R"({"bogus":1})").status, 400);
}

TEST(EngineSimServer, UnhealthyFaultFailsHealthInFlightAndNewRequests) {
  TestServer server(slow_profile());
  // In flight when the engine core dies: one stream, one non-streamed request.
  asio::io_context io;
  auto streaming = connect(io, server.port());
  http::write(streaming, make_request(http::verb::post, "/v1/chat/completions", chat_body(100000, true, false)));
  auto unary = connect(io, server.port());
  http::write(unary, make_request(http::verb::post, "/v1/chat/completions", chat_body(100000, false, false)));
  ASSERT_TRUE(poll_until([&] { return metric(server.port(), "vllm:num_requests_running") == 2; }));

  const auto set = call(server.port(), http::verb::post, "/admin/faults", R"({"unhealthy":true})");
  ASSERT_EQ(set.status, 200) << set.body;
  EXPECT_EQ(json::parse(set.body)["unhealthy"], true);

  const auto unary_reply = read_reply(unary);
  EXPECT_EQ(unary_reply.status, 500) << unary_reply.body;
  EXPECT_EQ(json::parse(unary_reply.body)["error"]["code"], 500);
  const auto stream_reply = read_reply(streaming);
  EXPECT_EQ(stream_reply.status, 200);
  const auto events = sse_events(stream_reply.body);
  ASSERT_GE(events.size(), 2U);
  EXPECT_EQ(json::parse(events[events.size() - 2])["error"]["code"], 500);
  EXPECT_EQ(json::parse(events[events.size() - 2])["error"]["type"], "InternalServerError");
  EXPECT_EQ(events.back(), "[DONE]");
  EXPECT_EQ(metric(server.port(), "vllm:num_requests_running"), 0);
  EXPECT_EQ(metric(server.port(), "sluice_sim_requests_aborted_total"), 2);

  const auto health = call(server.port(), http::verb::get, "/health");
  EXPECT_EQ(health.status, 503);
  const auto refused = call(server.port(), http::verb::post, "/v1/chat/completions", chat_body(2, false, false));
  EXPECT_EQ(refused.status, 500);
  EXPECT_EQ(json::parse(refused.body)["error"]["type"], "InternalServerError") << refused.body;

  ASSERT_EQ(call(server.port(), http::verb::post, "/admin/faults", R"({"unhealthy":false})").status, 200);
  EXPECT_EQ(call(server.port(), http::verb::get, "/health").status, 200);
  EXPECT_EQ(call(server.port(), http::verb::post, "/v1/chat/completions", chat_body(2, false, false)).status, 200);
  ASSERT_EQ(call(server.port(), http::verb::post, "/admin/faults", R"({"unhealthy":true})").status, 200);
  EXPECT_EQ(call(server.port(), http::verb::delete_, "/admin/faults").status, 200);
  EXPECT_EQ(call(server.port(), http::verb::get, "/health").status, 200);
}

TEST(EngineSimServer, FailedLoadStopsTheServerWithoutEverBeingReady) {
  auto profile = slow_profile();
  profile.cold_load_s = 0.3;
  std::atomic<bool> ready{false};
  std::atomic<bool> failed{false};
  const auto started = std::chrono::steady_clock::now();
  std::atomic<std::int64_t> failed_after_ms{-1};
  TestServer server(profile, [&](SimServerConfig& config) {
    config.fail_load = true;  // without simulate_load: a failing load is simulated anyway
    config.on_ready = [&](std::uint16_t) { ready = true; };
    config.on_load_failed = [&] {
      failed_after_ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();
      failed = true;
    };
  });
  const auto loading = call(server.port(), http::verb::get, "/health");
  EXPECT_EQ(loading.status, 503) << "still loading";
  EXPECT_EQ(call(server.port(), http::verb::post, "/v1/chat/completions", chat_body(2, false, false)).status, 503);
  ASSERT_TRUE(poll_until([&] { return failed.load() && server.stopped(); }));
  EXPECT_GE(failed_after_ms.load(), 300) << "fails only after the cold-load time";
  EXPECT_FALSE(ready.load());
  asio::io_context io;
  net::tcp::socket socket(io);
  net::error_code ec;
  socket.connect({asio::ip::make_address("127.0.0.1"), server.port()}, ec);
  EXPECT_TRUE(ec) << "the listener is closed";
}

TEST(EngineSimServer, StopsCleanlyWithRequestsInFlight) {
  asio::io_context io;
  net::tcp::socket streaming(io);
  net::tcp::socket unary(io);
  net::tcp::socket hung(io);
  {
    TestServer server(slow_profile());
    streaming = connect(io, server.port());
    http::write(streaming, make_request(http::verb::post, "/v1/chat/completions", chat_body(100000, true, false)));
    unary = connect(io, server.port());
    http::write(unary, make_request(http::verb::post, "/v1/chat/completions", chat_body(100000, false, false)));
    ASSERT_TRUE(poll_until([&] { return metric(server.port(), "vllm:num_requests_running") == 2; }));
    ASSERT_EQ(call(server.port(), http::verb::post, "/admin/faults", R"({"hang":true})").status, 200);
    hung = connect(io, server.port());
    http::write(hung, make_request(http::verb::post, "/v1/completions", R"({"prompt":"x"})"));
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }  // stop() must unwind every coroutine so the io thread ends
  SUCCEED();
}

}  // namespace
}  // namespace sluice::engine
