// SIGTERM keeps its promises: the admin listener stays up through the grace
// period with /readyz 503 {"status":"draining"}; requests still running when
// it ends are answered (a stream: an SSE error event and [DONE]; otherwise a
// 503 body), not cut; every request has one access-log line with its real
// status and tokens, a request that finished during the drain with 200; and
// engines that exit meanwhile are not logged as failures or zone failovers.
#include <signal.h>

#include <algorithm>
#include <future>
#include <sstream>
#include <thread>

#include "harness.h"

namespace sluice::itest {
namespace {

/// `big` is the 8B timing model 4x faster than real time: ~1.8 ms per token.
std::string drain_models() {
  return "  - name: small\n"
         "    source: sim\n"
         "    sim: {instances: 1, profile: instant}\n"
         "  - name: big\n"
         "    source: sim\n"
         "    sim: {instances: 2, profile: llama-3.1-8b-h100, speedup: 4}\n";
}

/// The access-log lines (stdout) as JSON objects.
std::vector<Json> access_lines(const Gateway& gateway) {
  std::vector<Json> out;
  std::istringstream in(gateway.stdout_text());
  for (std::string line; std::getline(in, line);) {
    Json doc = Json::parse(line, nullptr, false);
    if (doc.is_object() && doc.contains("request_id")) out.push_back(std::move(doc));
  }
  return out;
}

std::vector<Json> lines_with_id(const std::vector<Json>& lines, std::string_view id) {
  std::vector<Json> out;
  for (const auto& l : lines)
    if (l.value("request_id", "") == id) out.push_back(l);
  return out;
}

/// Lines of the gateway's log (stderr) that speak of failures or zones.
std::string failure_lines(const std::string& log) {
  std::string out;
  std::istringstream in(log);
  for (std::string line; std::getline(in, line);) {
    if (line.find("failed") != std::string::npos || line.find("zone") != std::string::npos ||
        line.find(" error ") != std::string::npos || line.find("[error]") != std::string::npos)
      out += line + "\n";
  }
  return out;
}

std::string with_id(std::string_view method, std::string_view target, const Json& body, std::string_view id) {
  return build_request(method, target, body.dump(),
                       {{"Authorization", "Bearer " + std::string(kAcmeKey)}, {"x-request-id", std::string(id)}});
}

TEST(DrainTest, RequestsRunningPastTheGraceAreAnsweredAndLogged) {
  Gateway gateway(make_config("shutdown_grace: 1500ms, upstream_timeout: 60s", drain_models()));
  ASSERT_TRUE(gateway.start()) << gateway.error();

  // A: a stream of ~11 s and B: a non-streamed request of ~11 s, both far
  // past the grace period. C: a stream of ~0.5 s that ends during it.
  Connection a(gateway.api_port());
  Connection b(gateway.api_port());
  Connection c(gateway.api_port());
  ASSERT_TRUE(a.connected() && b.connected() && c.connected());
  ASSERT_TRUE(a.send(with_id("POST", "/v1/chat/completions", chat_body("big", "a long story", 6000, true), "drain-a")));
  ASSERT_TRUE(b.send(with_id("POST", "/v1/chat/completions", chat_body("big", "a long story", 6000), "drain-b")));
  Response a_head;
  ASSERT_TRUE(a.read_head(a_head, 5000ms)) << a_head.error;
  ASSERT_EQ(a_head.status, 200);
  std::string a_body;
  while (a_body.find("data: ") == std::string::npos) {
    ASSERT_EQ(a.read_body_some(a_body, 5000ms), Connection::Read::kData) << "no first event";
  }
  ASSERT_TRUE(wait_until([&] { return metric_value(gateway.metrics(), "sluice_requests_in_flight").value_or(0) >= 2; },
                         3000ms))
      << gateway.metrics();
  ASSERT_TRUE(c.send(with_id("POST", "/v1/chat/completions", chat_body("big", "short", 250, true), "drain-c")));
  Response c_head;
  ASSERT_TRUE(c.read_head(c_head, 5000ms)) << c_head.error;
  ASSERT_EQ(c_head.status, 200);

  const auto term_at = Clock::now();
  ASSERT_TRUE(gateway.signal(SIGTERM));

  // During the grace period the admin listener answers: /readyz 503 draining.
  ASSERT_TRUE(wait_until([&] { return get(gateway.admin_port(), "/readyz", {}, 500ms).status == 503; }, 1000ms))
      << "the admin listener does not say the gateway is draining";
  const Response readyz = get(gateway.admin_port(), "/readyz", {}, 500ms);
  EXPECT_EQ(readyz.status, 503);
  EXPECT_EQ(readyz.json().value("status", ""), "draining") << readyz.body;
  EXPECT_EQ(metric_value(gateway.metrics(), "sluice_ready"), 0.0);

  // C finishes normally during the drain.
  std::string c_body;
  for (;;) {
    const auto r = c.read_body_some(c_body, 5000ms);
    if (r == Connection::Read::kEnd) break;
    ASSERT_EQ(r, Connection::Read::kData) << "C was cut: " << c_body.substr(c_body.size() > 300 ? c_body.size() - 300 : 0);
  }
  EXPECT_NE(c_body.find("data: [DONE]"), std::string::npos);
  EXPECT_EQ(c_body.find("\"error\""), std::string::npos) << c_body.substr(c_body.size() - 300);
  // Still within the grace period (on a busy machine C may take longer): the admin listener answers.
  if (Clock::now() - term_at < 1200ms) {
    EXPECT_EQ(get(gateway.admin_port(), "/readyz", {}, 200ms).status, 503);
  }

  // A: an error event naming the shutdown, then [DONE], then the end of the body.
  for (;;) {
    const auto r = a.read_body_some(a_body, 5000ms);
    if (r == Connection::Read::kEnd) break;
    ASSERT_EQ(r, Connection::Read::kData) << "A was cut without its end: "
                                          << a_body.substr(a_body.size() > 300 ? a_body.size() - 300 : 0);
  }
  const auto a_end = Clock::now();
  const auto error_at = a_body.rfind("data: {\"error\"");
  ASSERT_NE(error_at, std::string::npos) << a_body.substr(a_body.size() > 300 ? a_body.size() - 300 : 0);
  EXPECT_NE(a_body.find("\"code\":\"shutting_down\"", error_at), std::string::npos) << a_body.substr(error_at);
  EXPECT_TRUE(a_body.ends_with("data: [DONE]\n\n")) << a_body.substr(error_at);
  EXPECT_GE(a_end - term_at, 1400ms);
  EXPECT_LT(a_end - term_at, 3000ms);

  // B: a 503 OpenAI error body, not an empty reply.
  const Response b_res = b.read_response(5000ms);
  EXPECT_TRUE(is_openai_error(b_res, 503, "shutting_down")) << b_res.error;

  const auto status = gateway.wait_exit(8000ms);
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(*status, 0);

  // One access-log line each, with the real status and the tokens used.
  const auto lines = access_lines(gateway);
  const auto la = lines_with_id(lines, "drain-a");
  const auto lb = lines_with_id(lines, "drain-b");
  const auto lc = lines_with_id(lines, "drain-c");
  ASSERT_EQ(la.size(), 1u) << gateway.stdout_text();
  ASSERT_EQ(lb.size(), 1u) << gateway.stdout_text();
  ASSERT_EQ(lc.size(), 1u) << gateway.stdout_text();
  EXPECT_EQ(la[0].value("status", 0), 503) << la[0];
  EXPECT_EQ(la[0].value("error", ""), "shutting_down") << la[0];
  EXPECT_GT(la[0].value("completion_tokens", 0), 100) << "the tokens streamed before the cut: " << la[0];
  EXPECT_EQ(lb[0].value("status", 0), 503) << lb[0];
  EXPECT_EQ(lb[0].value("error", ""), "shutting_down") << lb[0];
  EXPECT_EQ(lc[0].value("status", 0), 200) << lc[0];
  EXPECT_EQ(lc[0].value("completion_tokens", 0), 250) << lc[0];

  EXPECT_EQ(failure_lines(gateway.stderr_text()), "") << gateway.stderr_text();
}

TEST(DrainTest, AStreamThatEndsDuringTheDrainIsLoggedAs200) {
  // The client stops reading at [DONE] and closes at once, as SDKs do.
  Gateway gateway(make_config("shutdown_grace: 5s, upstream_timeout: 60s", drain_models()));
  ASSERT_TRUE(gateway.start()) << gateway.error();
  constexpr int kStreams = 6;
  std::vector<std::unique_ptr<SseStream>> streams;
  for (int i = 0; i < kStreams; ++i) {
    streams.push_back(std::make_unique<SseStream>(gateway.api_port(), "/v1/chat/completions",
                                                  chat_body("big", "story " + std::to_string(i), 200 + 20 * i, true),
                                                  kAcmeKey));
    ASSERT_TRUE(streams.back()->ok());
  }
  ASSERT_TRUE(gateway.signal(SIGTERM));
  for (auto& s : streams) {
    bool done = false;
    while (auto e = s->next(5s)) {
      if (e->is_done()) {
        done = true;
        break;
      }
    }
    EXPECT_TRUE(done);
    s->connection().close();
  }
  ASSERT_EQ(gateway.wait_exit(8000ms), 0);
  int ok = 0;
  for (const auto& l : access_lines(gateway)) {
    if (l.value("path", "") != "/v1/chat/completions") continue;
    EXPECT_EQ(l.value("status", 0), 200) << l;
    ok += l.value("status", 0) == 200 ? 1 : 0;
  }
  EXPECT_EQ(ok, kStreams) << gateway.stdout_text();
}

TEST(DrainTest, EnginesSignalledWithTheGatewayAreNotFailures) {
  // Ctrl-C in a terminal, or a systemd stop, signals the engines too.
  Gateway gateway(make_config("shutdown_grace: 2s, upstream_timeout: 60s", drain_models()));
  ASSERT_TRUE(gateway.start()) << gateway.error();
  SseStream stream(gateway.api_port(), "/v1/chat/completions", chat_body("big", "endless", 3000, true), kAcmeKey);
  ASSERT_TRUE(stream.ok());
  ASSERT_TRUE(stream.next(5s).has_value());
  const auto engines = child_pids(gateway.pid());
  ASSERT_EQ(engines.size(), 3u);
  ASSERT_TRUE(gateway.signal(SIGINT));
  for (const pid_t pid : engines) ::kill(pid, SIGINT);
  while (stream.next(5s)) {
  }
  EXPECT_TRUE(stream.ended());
  const auto status = gateway.wait_exit(8000ms);
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(*status, 0);
  EXPECT_TRUE(wait_pids_gone(engines, 1000ms));
  EXPECT_EQ(failure_lines(gateway.stderr_text()), "") << gateway.stderr_text();
}

}  // namespace
}  // namespace sluice::itest
