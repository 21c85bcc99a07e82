// Process lifecycle: SIGTERM drains and exits 0 leaving no engine behind,
// SIGKILL still takes the engines down (PR_SET_PDEATHSIG), in-flight streams
// get shutdown_grace to finish, and a broken config never starts anything.
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <thread>

#include "harness.h"

namespace sluice::itest {
namespace {

std::string instant_models(int small_instances) {
  return "  - name: small\n"
         "    source: sim\n"
         "    sim: {instances: " + std::to_string(small_instances) + ", profile: instant}\n"
         "  - name: big\n"
         "    source: sim\n"
         "    sim: {instances: 1, profile: llama-3.1-8b-h100, speedup: 4}\n";
}

std::string cmdline(pid_t pid) {
  std::string s = read_file("/proc/" + std::to_string(pid) + "/cmdline");
  std::replace(s.begin(), s.end(), '\0', ' ');
  return s;
}

/// The gateway's engine-sim children (checked by their command line).
std::vector<pid_t> engine_children(pid_t gateway) {
  std::vector<pid_t> out;
  for (const pid_t pid : child_pids(gateway))
    if (cmdline(pid).find("engine-sim") != std::string::npos) out.push_back(pid);
  return out;
}

TEST(LifecycleTest, SigtermExitsZeroAndStopsEveryEngine) {
  Gateway gateway(make_config("shutdown_grace: 2s", instant_models(2)));
  ASSERT_TRUE(gateway.start()) << gateway.error();
  const auto engines = engine_children(gateway.pid());
  ASSERT_EQ(engines.size(), 3u);
  ASSERT_EQ(post_json(gateway.api_port(), "/v1/chat/completions", chat_body("small", "hi", 2), kAcmeKey).status, 200);
  EXPECT_EQ(get(gateway.admin_port(), "/readyz").status, 200);
  EXPECT_EQ(get(gateway.admin_port(), "/healthz").status, 200);
  EXPECT_EQ(metric_value(gateway.metrics(), "sluice_ready"), 1.0);

  const auto start = Clock::now();
  ASSERT_TRUE(gateway.signal(SIGTERM));
  const auto status = gateway.wait_exit(5000ms);
  ASSERT_TRUE(status.has_value()) << "still running 5 s after SIGTERM";
  EXPECT_EQ(*status, 0) << gateway.stderr_text();
  EXPECT_LT(Clock::now() - start, 3s) << "an idle gateway should not wait out its whole grace period";
  EXPECT_TRUE(wait_pids_gone(engines, 500ms)) << "engine-sim children outlived the gateway";
  // Nothing listens any more.
  EXPECT_FALSE(Connection(gateway.api_port()).connected());
  EXPECT_FALSE(Connection(gateway.admin_port()).connected());
}

TEST(LifecycleTest, SigintAlsoExitsZero) {
  Gateway gateway(make_config("shutdown_grace: 2s", instant_models(1)));
  ASSERT_TRUE(gateway.start()) << gateway.error();
  const auto engines = engine_children(gateway.pid());
  ASSERT_EQ(engines.size(), 2u);
  ASSERT_TRUE(gateway.signal(SIGINT));
  EXPECT_EQ(gateway.wait_exit(5000ms), 0);
  EXPECT_TRUE(wait_pids_gone(engines, 500ms));
}

TEST(LifecycleTest, SigkilledGatewayTakesItsEnginesDown) {
  Gateway gateway(make_config("shutdown_grace: 2s", instant_models(2)));
  ASSERT_TRUE(gateway.start()) << gateway.error();
  const auto engines = engine_children(gateway.pid());
  ASSERT_EQ(engines.size(), 3u);
  ASSERT_TRUE(gateway.signal(SIGKILL));
  EXPECT_EQ(gateway.wait_exit(5000ms), 128 + SIGKILL);
  EXPECT_TRUE(wait_pids_gone(engines, 3000ms)) << "orphaned engine-sim processes survive a SIGKILLed gateway";
  for (const pid_t pid : engines)
    if (pid_alive(pid)) ::kill(pid, SIGKILL);  // do not leak them into later tests
}

TEST(LifecycleTest, InFlightStreamFinishesWithinGraceAndNewConnectionsAreRefused) {
  Gateway gateway(make_config("shutdown_grace: 4s, upstream_timeout: 10s", instant_models(1)));
  ASSERT_TRUE(gateway.start()) << gateway.error();
  const auto engines = engine_children(gateway.pid());
  // ~600 tokens at ~1.8 ms: about 1.1 s of stream.
  SseStream stream(gateway.api_port(), "/v1/chat/completions", chat_body("big", "a long story", 600, true), kAcmeKey);
  ASSERT_TRUE(stream.ok()) << stream.head().status << stream.head().error;
  ASSERT_TRUE(stream.next(5s).has_value());

  const auto term_at = Clock::now();
  ASSERT_TRUE(gateway.signal(SIGTERM));
  EXPECT_TRUE(wait_until([&] { return !Connection(gateway.api_port(), 200ms).connected(); }, 1000ms))
      << "the gateway still accepts connections while draining";
  EXPECT_TRUE(gateway.running()) << "the gateway exited with a stream still in flight";

  const auto events = stream.read_all(8s);
  const auto stream_end = Clock::now();
  ASSERT_FALSE(events.empty());
  EXPECT_TRUE(events.back().is_done()) << "the in-flight stream was cut: last event " << events.back().data;
  EXPECT_TRUE(stream.clean_end());
  int tokens = 1;  // the one read before SIGTERM
  for (const auto& e : events) {
    const Json doc = e.json();
    if (doc.is_object() && !doc["choices"].empty() && doc["choices"][0]["delta"].contains("content")) ++tokens;
  }
  EXPECT_EQ(tokens, 600);
  EXPECT_LT(stream_end - term_at, 4s);

  const auto status = gateway.wait_exit(8000ms);
  ASSERT_TRUE(status.has_value()) << "the gateway did not exit after its last stream";
  EXPECT_EQ(*status, 0);
  EXPECT_LT(Clock::now() - term_at, 6s);
  EXPECT_TRUE(wait_pids_gone(engines, 500ms));
}

TEST(LifecycleTest, QueuedRequestGets503AtOnceOnShutdown) {
  // One slot: A runs, B waits in the fair queue (max_queue_wait 60 s by default).
  Gateway gateway(make_config("shutdown_grace: 4s",
                              "  - name: big\n"
                              "    source: sim\n"
                              "    sim: {instances: 1, profile: llama-3.1-8b-h100, speedup: 4}\n"
                              "    scheduler: {max_in_flight_per_instance: 1}\n"
                              "  - name: small\n"
                              "    source: sim\n"
                              "    sim: {instances: 1, profile: instant}\n"));
  ASSERT_TRUE(gateway.start()) << gateway.error();
  SseStream a(gateway.api_port(), "/v1/chat/completions", chat_body("big", "a long story", 600, true), kAcmeKey);
  ASSERT_TRUE(a.ok()) << a.head().status << a.head().error;
  ASSERT_TRUE(a.next(5s).has_value());
  Connection b(gateway.api_port());
  ASSERT_TRUE(b.connected()) << b.connect_error();
  ASSERT_TRUE(b.send(build_request("POST", "/v1/chat/completions", chat_body("big", "hello", 5).dump(),
                                   {{"Authorization", "Bearer " + std::string(kAcmeKey)}})));
  ASSERT_TRUE(wait_until([&] {
    return metric_value(gateway.metrics(), "sluice_queue_tenant_depth", {{"model", "big"}, {"tenant", "acme"}})
               .value_or(0) == 1;
  }, 2000ms)) << "B is not queued";

  const auto term_at = Clock::now();
  ASSERT_TRUE(gateway.signal(SIGTERM));
  const Response res = b.read_response(2000ms);
  EXPECT_TRUE(is_openai_error(res, 503, "shutting_down"));
  EXPECT_LT(Clock::now() - term_at, 1s) << "the queued request waited for its deadline instead";
  const auto events = a.read_all(8s);
  ASSERT_FALSE(events.empty());
  EXPECT_TRUE(events.back().is_done()) << "the running stream was cut: last event " << events.back().data;
  const auto status = gateway.wait_exit(8000ms);
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(*status, 0);
}

TEST(LifecycleTest, StreamLongerThanGraceIsEndedAtTheDeadline) {
  Gateway gateway(make_config("shutdown_grace: 1s, upstream_timeout: 30s", instant_models(1)));
  ASSERT_TRUE(gateway.start()) << gateway.error();
  const auto engines = engine_children(gateway.pid());
  // ~5 s of stream, far past the 1 s grace.
  SseStream stream(gateway.api_port(), "/v1/chat/completions", chat_body("big", "endless", 3000, true), kAcmeKey);
  ASSERT_TRUE(stream.ok()) << stream.head().status << stream.head().error;
  ASSERT_TRUE(stream.next(5s).has_value());
  const auto term_at = Clock::now();
  ASSERT_TRUE(gateway.signal(SIGTERM));
  while (stream.next(5s)) {
  }
  EXPECT_TRUE(stream.ended()) << "the client's stream was left hanging after the grace period";
  EXPECT_LT(Clock::now() - term_at, 3s);
  const auto status = gateway.wait_exit(5000ms);
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(*status, 0);
  EXPECT_TRUE(wait_pids_gone(engines, 500ms));
}

constexpr std::string_view kBrokenConfig =
    "listen: {api: 127.0.0.1:0, admin: 127.0.0.1:0}\n"
    "tenants:\n"
    "  - id: acme\n"
    "    api_keys: [sha256:d4ffc8c0325f7e8e971bb4d7bc9f6a78c97920b5ac57b24380e53b6c7a96bc13]\n"
    "    models: [\"*\"]\n"
    "    limits: {rpm: lots}\n"
    "models:\n"
    "  - name: small\n"
    "    source: sim\n"
    "    sim: {instances: 2, profile: instant}\n";

TEST(LifecycleTest, CheckConfigReportsFileLineColumnAndExits2) {
  TempDir dir;
  const std::string path = dir.write("broken.yaml", kBrokenConfig);
  const auto result = run_command({sluice_binary(), "check-config", path}, 10000ms);
  EXPECT_EQ(result.exit_code, 2);
  const std::string text = result.out + result.err;
  EXPECT_NE(text.find(path + ":6:19: tenants[0].limits.rpm: "), std::string::npos) << text;

  const std::string good = dir.write("good.yaml", make_config("threads: 1", instant_models(1)));
  const auto ok = run_command({sluice_binary(), "check-config", good}, 10000ms);
  EXPECT_EQ(ok.exit_code, 0) << ok.out << ok.err;
}

TEST(LifecycleTest, ServeRefusesABrokenConfigAndStartsNoEngine) {
  TempDir dir;
  const std::string path = dir.write("broken.yaml", kBrokenConfig);
  // Become the subreaper so that any engine-sim the gateway started would be
  // reparented to us, and visible, after the gateway exits.
  ASSERT_EQ(::prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
  const auto result = run_command({sluice_binary(), "serve", "--config", path, "--quiet"}, 10000ms);
  std::vector<pid_t> orphans;
  for (const pid_t pid : child_pids(::getpid()))
    if (cmdline(pid).find("engine-sim") != std::string::npos) orphans.push_back(pid);
  ::prctl(PR_SET_CHILD_SUBREAPER, 0);
  for (const pid_t pid : orphans) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
  }
  EXPECT_FALSE(result.timed_out) << "serve kept running on a broken config";
  EXPECT_NE(result.exit_code, 0);
  EXPECT_NE(result.err.find("tenants[0].limits.rpm"), std::string::npos) << result.err;
  EXPECT_TRUE(orphans.empty()) << orphans.size() << " engine-sim process(es) started";
}

}  // namespace
}  // namespace sluice::itest
