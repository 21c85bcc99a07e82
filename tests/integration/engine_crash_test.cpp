// An engine instance dies under a steady trickle of requests: nobody hangs,
// no non-streamed request fails (retried on the survivor), stream failures
// are only 502/503 and only around the crash, the survivor takes all the
// traffic, the admin API and metrics drop the dead instance at once, and the
// fleet starts a replacement that joins the rotation.
#include <algorithm>
#include <atomic>
#include <mutex>
#include <thread>

#include "harness.h"

namespace sluice::itest {
namespace {

struct Outcome {
  bool stream = false;
  Clock::time_point sent;
  Duration took;
  int status = 0;
  std::string error;
};

TEST(EngineCrashTest, TrafficMovesToTheSurvivorWithoutHanging) {
  Gateway gateway(make_config("upstream_timeout: 2s, shutdown_grace: 1s",
                              "  - name: small\n"
                              "    source: sim\n"
                              "    sim: {instances: 2, profile: instant}\n"));
  ASSERT_TRUE(gateway.start()) << gateway.error();
  const auto engines = gateway.instances("small");
  ASSERT_EQ(engines.size(), 2u);
  const EngineInstance victim = engines[0].id == "small/0" ? engines[0] : engines[1];
  const EngineInstance survivor = engines[0].id == "small/0" ? engines[1] : engines[0];
  ASSERT_EQ(victim.id, "small/0");
  ASSERT_EQ(child_pids(gateway.pid()).size(), 2u);

  std::mutex mu;
  std::vector<Outcome> outcomes;
  std::atomic<bool> stop{false};
  // Two clients, one streaming, so that some requests are in flight.
  auto client = [&](bool stream) {
    while (!stop.load()) {
      Outcome o;
      o.stream = stream;
      o.sent = Clock::now();
      if (stream) {
        SseStream s(gateway.api_port(), "/v1/chat/completions", chat_body("small", "tick", 50, true), kAcmeKey, 3000ms);
        o.status = s.head().status;
        o.error = s.head().error;
        if (o.status == 200) {
          const auto events = s.read_all(3000ms);
          if (!s.ended() || events.empty() || !events.back().is_done()) {
            o.status = 502;  // a relayed stream that broke: counts as a failure, not a hang
            o.error = "stream broke";
          }
        }
      } else {
        const Response r =
            post_json(gateway.api_port(), "/v1/chat/completions", chat_body("small", "tick", 5), kAcmeKey, {}, 3000ms);
        o.status = r.status;
        o.error = r.error;
      }
      o.took = std::chrono::duration_cast<Duration>(Clock::now() - o.sent);
      {
        std::lock_guard lock(mu);
        outcomes.push_back(o);
      }
      std::this_thread::sleep_for(10ms);
    }
  };
  std::thread unary(client, false);
  std::thread streamed(client, true);

  std::this_thread::sleep_for(300ms);
  const auto crash_at = Clock::now();
  set_engine_fault(victim.port, {{"crash", true}});
  const auto listed = [&](const std::string& id) {
    const auto now = gateway.instances("small");
    return std::any_of(now.begin(), now.end(), [&](const EngineInstance& e) { return e.id == id; });
  };
  const bool dropped = wait_until([&] { return !listed(victim.id); }, 3000ms);
  std::this_thread::sleep_for(700ms);
  stop = true;
  unary.join();
  streamed.join();

  ASSERT_TRUE(dropped) << "/admin/instances still lists the dead instance";
  EXPECT_TRUE(listed(survivor.id));
  // The fleet heals: a replacement (a new instance, small/2) joins.
  ASSERT_TRUE(wait_until([&] { return gateway.instances("small").size() == 2 && listed("small/2"); }, 10000ms))
      << "no replacement joined the rotation";

  int before_ok = 0;
  int after_ok = 0;
  for (const auto& o : outcomes) {
    EXPECT_LT(o.took, 2000ms) << "a request took " << o.took.count() << " ms";
    EXPECT_TRUE(o.status == 200 || o.status == 502 || o.status == 503)
        << "status " << o.status << " (" << o.error << ") at +"
        << std::chrono::duration_cast<Duration>(o.sent - crash_at).count() << " ms";
    // A non-streamed request never fails: one that met the dead instance
    // (refused, reset) is retried on the survivor before anything was sent.
    if (!o.stream) {
      EXPECT_EQ(o.status, 200) << "non-streamed request failed " << o.error << " at +"
                               << std::chrono::duration_cast<Duration>(o.sent - crash_at).count() << " ms";
    }
    if (o.sent + o.took < crash_at) {
      EXPECT_EQ(o.status, 200) << "failed before the crash: " << o.error;
      before_ok += o.status == 200;
    } else if (o.sent > crash_at + 300ms) {
      // Once the gateway has seen the child exit, every request succeeds.
      EXPECT_EQ(o.status, 200) << "failed " << std::chrono::duration_cast<Duration>(o.sent - crash_at).count()
                               << " ms after the crash: " << o.error;
      after_ok += o.status == 200;
    }
  }
  EXPECT_GE(before_ok, 5);
  EXPECT_GE(after_ok, 5);

  const std::string metrics = gateway.metrics();
  EXPECT_EQ(metric_value(metrics, "sluice_instance_up", {{"model", "small"}, {"instance", survivor.id}}), 1.0);
  EXPECT_EQ(metric_value(metrics, "sluice_instance_up", {{"model", "small"}, {"instance", victim.id}}).value_or(0), 0.0)
      << metrics;
  EXPECT_TRUE(wait_until([&] { return child_pids(gateway.pid()).size() == 2; }, 2000ms))
      << "the dead engine was not reaped, or its replacement is missing";
  EXPECT_EQ(metric_value(metrics, "sluice_fleet_failovers_total", {{"model", "small"}, {"cause", "process_exit"}}), 1.0)
      << metrics;
  EXPECT_NE(gateway.stderr_text().find("small/0"), std::string::npos) << "the crash is not logged";
  EXPECT_EQ(gateway.stop(), 0);
}

}  // namespace
}  // namespace sluice::itest
