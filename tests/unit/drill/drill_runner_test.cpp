// The drill's I/O end to end, without a fleet controller: a fake admin
// listener that plays back a failover (detected, recovered, restored at
// fixed delays after the fault) and an engine simulator standing in for the
// gateway's API, so that the runner, the steady load, the admin client and
// the judging meet real sockets.
#include "sluice/drill/drill_runner.h"

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <thread>

#include <fmt/format.h>

#include "fleet_fixture.h"
#include "sluice/engine/sim_server.h"
#include "sluice/net/asio.h"

namespace sluice::drill {
namespace {

namespace asio = net::asio;
namespace http = net::http;

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

/// GET /admin/fleet, POST and DELETE /admin/fleet/faults, one request per
/// connection, on its own thread. After a fault, the report logs a failover
/// of m/0 (seq = faults so far) detected 5 ms, recovered 100 ms and restored
/// 300 ms later.
class FakeFleetAdmin {
 public:
  explicit FakeFleetAdmin(int fault_status = 200) : fault_status_(fault_status) {
    acceptor_.open(net::tcp::v4());
    acceptor_.set_option(asio::socket_base::reuse_address(true));
    acceptor_.bind({asio::ip::make_address("127.0.0.1"), 0});
    acceptor_.listen();
    port_ = acceptor_.local_endpoint().port();
    thread_ = std::thread([this] { serve(); });
  }
  ~FakeFleetAdmin() {
    stopping_ = true;
    net::error_code ignored;
    net::tcp::socket poke(io_);
    poke.connect({asio::ip::make_address("127.0.0.1"), port_}, ignored);  // wakes accept()
    thread_.join();
  }
  std::uint16_t port() const { return port_; }
  std::vector<std::string> faults() const {
    std::lock_guard lock(mu_);
    return faults_;
  }
  int clears() const {
    std::lock_guard lock(mu_);
    return clears_;
  }

 private:
  std::string fleet() const {
    std::lock_guard lock(mu_);
    if (!injected_at_) return test::fleet_json();
    const std::int64_t now = now_ms();
    const auto at = [&](std::int64_t delay) {
      return now >= *injected_at_ + delay ? std::to_string(*injected_at_ + delay) : std::string("null");
    };
    if (now < *injected_at_ + 5) return test::fleet_json("", false);
    return test::fleet_json(fmt::format(R"({{"seq":{},"model":"m","instance":"m/0","cause":"process_exit",)"
                                        R"("replacement":"m/2","promoted_from":"hot","detected_at_ms":{},)"
                                        R"("recovered_at_ms":{},"restored_at_ms":{}}})",
                                        faults_.size(), *injected_at_ + 5, at(100), at(300)),
                            now >= *injected_at_ + 300);
  }

  http::response<http::string_body> answer(const http::request<http::string_body>& req) {
    http::response<http::string_body> res{http::status::ok, 11};
    res.set(http::field::content_type, "application/json");
    if (req.target() == "/admin/fleet" && req.method() == http::verb::get) {
      res.body() = fleet();
    } else if (req.target() == "/admin/fleet/faults" && req.method() == http::verb::post) {
      std::lock_guard lock(mu_);
      faults_.push_back(req.body());
      if (fault_status_ != 200) {
        res.result(static_cast<http::status>(fault_status_));
        res.body() = R"({"error":{"message":"unknown instance","type":"invalid_request_error","param":null,"code":"not_found"}})";
      } else {
        injected_at_ = now_ms();
        res.body() = fmt::format(R"({{"injected_at_ms":{},"affected":["m/0"]}})", *injected_at_);
      }
    } else if (req.target() == "/admin/fleet/faults" && req.method() == http::verb::delete_) {
      std::lock_guard lock(mu_);
      ++clears_;
      res.body() = "{}";
    } else {
      res.result(http::status::not_found);
    }
    res.prepare_payload();
    return res;
  }

  void serve() {
    while (!stopping_) {
      net::tcp::socket socket(io_);
      net::error_code ec;
      acceptor_.accept(socket, ec);
      if (ec || stopping_) break;
      net::beast::flat_buffer buffer;
      http::request<http::string_body> req;
      http::read(socket, buffer, req, ec);
      if (ec) continue;
      http::write(socket, answer(req), ec);
      socket.shutdown(net::tcp::socket::shutdown_both, ec);
    }
  }

  asio::io_context io_;
  net::tcp::acceptor acceptor_{io_};
  std::uint16_t port_ = 0;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  int fault_status_;
  mutable std::mutex mu_;
  std::optional<std::int64_t> injected_at_;
  std::vector<std::string> faults_;
  int clears_ = 0;
};

/// An engine simulator serving model "m": the API the load talks to.
class Engine {
 public:
  Engine() {
    engine::SimServerConfig config;
    config.port = 0;
    config.profile = *engine::find_profile("instant");
    config.profile.decode_base_ms = 1;  // streams take a few ms
    config.served_model_name = "m";
    server_ = std::make_unique<engine::SimServer>(io_, std::move(config));
    port_ = server_->start().value();
    thread_ = std::thread([this] { io_.run(); });
  }
  ~Engine() {
    asio::post(io_, [this] { server_->stop(); });
    thread_.join();
  }
  std::uint16_t port() const { return port_; }

 private:
  asio::io_context io_{1};
  std::unique_ptr<engine::SimServer> server_;
  std::uint16_t port_ = 0;
  std::thread thread_;
};

DrillSettings settings_for(std::uint16_t api_port) {
  DrillSettings s;
  s.scenarios = {Scenario::kCrash};
  s.load.target = {"127.0.0.1", api_port, ""};
  s.load.model = "m";
  s.load.api_key = "sk-test";
  s.load.rate = 100;
  s.load.max_tokens = 8;
  s.load.request_timeout_s = 5;
  s.wake_s = 0.1;
  s.warmup_s = 0.2;
  s.observe_s = 5;
  s.settle_timeout_s = 5;
  s.poll_interval = std::chrono::milliseconds(10);
  return s;
}

void quiet(const std::string&) {}

TEST(DrillRunner, CrashUnderLoadEndToEnd) {
  Engine engine;
  FakeFleetAdmin admin_server;
  const AdminClient admin("127.0.0.1", admin_server.port());
  const auto outcomes = run_drill(admin, settings_for(engine.port()), quiet);
  ASSERT_EQ(outcomes.size(), 1U);
  const ScenarioOutcome& o = outcomes[0];
  ASSERT_EQ(o.error, "");
  EXPECT_TRUE(o.complete);
  EXPECT_EQ(admin_server.faults(), (std::vector<std::string>{R"({"instance":"m/0","kind":"crash"})"}));
  EXPECT_EQ(admin_server.clears(), 1);
  EXPECT_DOUBLE_EQ(*o.detect_s, 0.005);
  EXPECT_DOUBLE_EQ(*o.recover_s, 0.1);
  EXPECT_DOUBLE_EQ(*o.restore_s, 0.3);
  EXPECT_EQ(o.promoted_from, "hot");
  // 100 req/s through warm-up and recovery: about 50, half of them streamed.
  EXPECT_GE(o.load.sent(), 30);
  EXPECT_GE(o.load.streams_sent, o.load.sent() / 2 - 1);
  EXPECT_EQ(o.load.answers_checked, o.load.sent()) << "every answer was whole";
  EXPECT_EQ(o.load.requests_failed, 0);
  EXPECT_EQ(o.load.streams_broken, 0);
  EXPECT_EQ(o.load.tokens_lost + o.load.tokens_duplicated, 0);
  EXPECT_GT(o.load.slowest_s, 0.0);
  EXPECT_LT(o.load.slowest_s, 2.0) << "8 tokens of a few ms each";
  EXPECT_EQ(o.targets.tier, StandbyTier::kHot);
  EXPECT_TRUE(o.passed());
}

TEST(DrillRunner, BrokenStreamsAndErrorsAreCounted) {
  Engine engine;
  FakeFleetAdmin admin_server;
  const AdminClient admin("127.0.0.1", admin_server.port());
  // The "gateway" cuts every stream after 3 tokens (engine-sim's drop fault).
  const auto set = http_call("127.0.0.1", engine.port(), "POST", "/admin/faults", R"({"drop_after_tokens":3})",
                             std::chrono::seconds(2));
  ASSERT_TRUE(set && set->status == 200);
  auto settings = settings_for(engine.port());
  settings.load.stream_share = 1.0;
  const ScenarioOutcome o = run_scenario(admin, settings, Scenario::kCrash, quiet);
  ASSERT_EQ(o.error, "");
  EXPECT_GT(o.load.streams_sent, 0);
  EXPECT_EQ(o.load.streams_broken, o.load.streams_sent);
  EXPECT_EQ(o.load.failure_reasons.at("stream: stream cut before [DONE]"), o.load.streams_sent);
  EXPECT_EQ(o.our_streams, Verdict::kMiss);
  EXPECT_FALSE(o.passed());

  const auto errors = http_call("127.0.0.1", engine.port(), "POST", "/admin/faults",
                                R"({"drop_after_tokens":null,"error_rate":1,"error_status":503})", std::chrono::seconds(2));
  ASSERT_TRUE(errors && errors->status == 200);
  settings.load.stream_share = 0;
  const ScenarioOutcome e = run_scenario(admin, settings, Scenario::kCrash, quiet);
  EXPECT_EQ(e.load.requests_failed, e.load.requests_sent);
  // engine-sim answers as vLLM does: the error code is the status, a number, so no code name.
  EXPECT_EQ(e.load.failure_reasons.at("request: status 503"), e.load.requests_sent);
  EXPECT_EQ(e.our_requests, Verdict::kMiss);
}

TEST(DrillRunner, RefusedFaultEndsTheScenarioAndClears) {
  Engine engine;
  FakeFleetAdmin admin_server(404);
  const AdminClient admin("127.0.0.1", admin_server.port());
  const ScenarioOutcome o = run_scenario(admin, settings_for(engine.port()), Scenario::kGpuFault, quiet);
  EXPECT_NE(o.error.find("the gateway refused the fault"), std::string::npos) << o.error;
  EXPECT_NE(o.error.find("unknown instance"), std::string::npos) << o.error;
  EXPECT_EQ(admin_server.clears(), 1);
  EXPECT_FALSE(o.passed());
}

TEST(DrillRunner, ASignalToAPidThatIsNotTheEngineIsRefused) {
  Engine engine;
  FakeFleetAdmin admin_server;  // reports m/0 as pid 11 on port 4001: not an engine of this host
  const AdminClient admin("127.0.0.1", admin_server.port());
  for (const Scenario s : {Scenario::kKill, Scenario::kFreeze, Scenario::kNodeKill, Scenario::kZoneKill}) {
    const ScenarioOutcome o = run_scenario(admin, settings_for(engine.port()), s, quiet);
    EXPECT_NE(o.error.find("signal scenarios need the drill on the gateway's host"), std::string::npos) << o.error;
    EXPECT_FALSE(o.passed());
  }
  EXPECT_TRUE(admin_server.faults().empty()) << "nothing goes through the admin API";
  EXPECT_EQ(admin_server.clears(), 4);
}

TEST(DrillRunner, NoFleetControllerIsSaidPlainly) {
  Engine engine;  // answers 404 to /admin/fleet, like a gateway without a fleet controller
  const AdminClient admin("127.0.0.1", engine.port());
  const ScenarioOutcome o = run_scenario(admin, settings_for(engine.port()), Scenario::kCrash, quiet);
  EXPECT_NE(o.error.find("404 — this gateway has no fleet controller"), std::string::npos) << o.error;
}

}  // namespace
}  // namespace sluice::drill
