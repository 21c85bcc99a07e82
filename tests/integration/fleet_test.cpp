// The GPU pool, end to end with engine simulators (sped up): a hot standby
// takes over a crashed instance under load with no failed request and no
// broken stream and the standbys are restored; a warm standby wakes when the
// queue builds and an idle instance goes back to sleep; a node failure moves
// the traffic; planned drain, sleep and wake through the admin API; and the
// admin API's errors.
#include <algorithm>
#include <atomic>
#include <fstream>
#include <set>
#include <mutex>
#include <thread>

#include <fmt/format.h>

#include "harness.h"

namespace sluice::itest {
namespace {


Json fleet(const Gateway& g) { return get(g.admin_port(), "/admin/fleet").json(); }

Json model_status(const Gateway& g) {
  const Json f = fleet(g);
  for (const auto& m : f["models"]) if (m["name"] == "small") return m;
  return Json::object();
}

/// Ids of the instances in `state` (and `role`, when given).
std::vector<std::string> ids_in(const Json& f, std::string_view state, std::string_view role = {}) {
  std::vector<std::string> out;
  for (const auto& i : f["instances"]) {
    if (i["state"] == state && (role.empty() || i["role"] == role)) out.push_back(i["id"].get<std::string>());
  }
  return out;
}

bool settled(const Gateway& g) {
  const Json m = model_status(g);
  return m.value("settled", false);
}

Response admin_post(const Gateway& g, std::string_view path, const Json& body) {
  return post_json(g.admin_port(), path, body);
}

TEST(FleetTest, HotStandbyTakesOverACrashUnderLoad) {
  Gateway gateway(make_config("shutdown_grace: 1s",
                              "  - name: small\n"
                              "    source: sim\n"
                              "    sim: {instances: 1, profile: llama-3.1-8b-h100, speedup: 50}\n"
                              "    recovery: {preferred_zones: [zone-a], standby_zone: zone-b, standby: {hot: 1, warm: 1}}\n") +
                  two_zone_fleet_yaml(1));
  ASSERT_TRUE(gateway.start()) << gateway.error();
  ASSERT_TRUE(wait_until([&] { return settled(gateway); }, 20000ms)) << fleet(gateway).dump(2);
  const Json before = fleet(gateway);
  const auto serving = ids_in(before, "hot", "serving");
  const auto hot_standby = ids_in(before, "hot", "standby");
  ASSERT_EQ(serving.size(), 1u) << before.dump(2);
  ASSERT_EQ(hot_standby.size(), 1u) << before.dump(2);
  ASSERT_EQ(ids_in(before, "warm").size(), 1u) << before.dump(2);

  Traffic traffic(gateway.api_port(), 2, 1);
  std::this_thread::sleep_for(500ms);
  const Response crash = admin_post(gateway, "/admin/fleet/faults", {{"kind", "crash"}, {"instance", serving[0]}});
  ASSERT_EQ(crash.status, 200) << crash.body;
  const std::int64_t injected = crash.json()["injected_at_ms"];
  // Recovered: the hot standby served its first request.
  ASSERT_TRUE(wait_until([&] {
    const Json f = fleet(gateway);
    return !f["failovers"].empty() && !f["failovers"][0]["recovered_at_ms"].is_null();
  }, 5000ms)) << fleet(gateway).dump(2);
  std::this_thread::sleep_for(500ms);
  traffic.stop();
  // Standbys back at policy (a new hot standby loads from disk: 1.2 s).
  ASSERT_TRUE(wait_until([&] { return settled(gateway); }, 20000ms)) << fleet(gateway).dump(2);

  const Json f = fleet(gateway);
  const Json& failover = f["failovers"][0];
  EXPECT_EQ(failover["instance"], serving[0]);
  EXPECT_EQ(failover["cause"], "process_exit");
  EXPECT_EQ(failover["replacement"], hot_standby[0]);
  EXPECT_EQ(failover["promoted_from"], "hot");
  const std::int64_t detect_ms = failover["detected_at_ms"].get<std::int64_t>() - injected;
  const std::int64_t rto_ms = failover["recovered_at_ms"].get<std::int64_t>() - injected;
  const std::int64_t restore_ms = failover["restored_at_ms"].get<std::int64_t>() - injected;
  std::printf("[ measured ] hot standby: detect %lld ms, recover %lld ms, restore %lld ms; %d requests, %d streams\n",
              static_cast<long long>(detect_ms), static_cast<long long>(rto_ms), static_cast<long long>(restore_ms),
              traffic.unary(), traffic.streams());
  EXPECT_LT(rto_ms, 1000) << "RTO with a hot standby";
  // The store keeps the same record, restored time included.
  ASSERT_TRUE(wait_until([&] {
    const Json kept = get(gateway.admin_port(), "/admin/failovers").json();
    return kept.contains("data") && kept["data"].size() == 1 && kept["data"][0]["instance"] == serving[0] &&
           !kept["data"][0]["restored_at_ms"].is_null();
  }, 3000ms)) << get(gateway.admin_port(), "/admin/failovers").body;
  const auto failures = traffic.failures();
  std::string seen;
  for (std::size_t i = 0; i < failures.size() && i < 5; ++i) seen += "\n  " + failures[i];
  EXPECT_TRUE(failures.empty()) << failures.size() << " failed:" << seen << "\n" << gateway.stderr_text().substr(0, 20000);
  EXPECT_GE(traffic.unary(), 20);
  // The posture is restored, not only the counts: a new instance serves in
  // the preferred zone (zone-a), and the promoted one is the hot standby in
  // zone-b again, so the next fault is covered the same way.
  const auto now_serving = ids_in(f, "hot", "serving");
  ASSERT_EQ(now_serving.size(), 1u) << f.dump(2);
  EXPECT_NE(now_serving[0], serving[0]);
  EXPECT_NE(now_serving[0], hot_standby[0]);
  for (const auto& i : f["instances"]) {
    if (i["id"] == now_serving[0]) {
      EXPECT_EQ(i["zone"], "zone-a") << f.dump(2);
    }
  }
  EXPECT_EQ(ids_in(f, "hot", "standby"), std::vector<std::string>{hot_standby[0]});
  EXPECT_EQ(metric_value(gateway.metrics(), "sluice_fleet_failovers_total", {{"model", "small"}, {"cause", "process_exit"}}),
            1.0);
  EXPECT_EQ(gateway.stop(), 0);
}

TEST(FleetTest, WarmStandbyWakesOnQueueAndIdleServingSleeps) {
  Gateway gateway(make_config("shutdown_grace: 1s",
                              "  - name: small\n"
                              "    source: sim\n"
                              "    sim: {instances: 1, profile: llama-3.1-8b-h100, speedup: 50}\n"
                              "    scheduler: {max_in_flight_per_instance: 1}\n"
                              "    recovery: {standby: {warm: 1}}\n"
                              "    demand: {max_hot: 2, wake_queue_depth: 2, idle_sleep: 1s}\n") +
                  two_zone_fleet_yaml(1));
  ASSERT_TRUE(gateway.start()) << gateway.error();
  ASSERT_TRUE(wait_until([&] { return settled(gateway); }, 20000ms)) << fleet(gateway).dump(2);
  ASSERT_EQ(model_status(gateway)["serving"], 1);

  // Six long requests at once on one slot: the queue passes 2, a warm one wakes.
  std::vector<std::thread> clients;
  std::atomic<int> ok{0};
  for (int i = 0; i < 6; ++i) {
    clients.emplace_back([&] {
      ok += post_json(gateway.api_port(), "/v1/chat/completions", chat_body("small", "long", 200), kAcmeKey, {}, 20000ms)
                .status == 200;
    });
  }
  const bool woke = wait_until([&] { return model_status(gateway)["serving"] == 2; }, 10000ms);
  for (auto& c : clients) c.join();
  ASSERT_TRUE(woke) << fleet(gateway).dump(2);
  EXPECT_EQ(ok.load(), 6);
  // Idle for 1 s beyond the minimum: one goes back to sleep; a warm standby
  // is there again.
  ASSERT_TRUE(wait_until([&] {
    const Json m = model_status(gateway);
    return m["serving"] == 1 && m["standby"]["warm"] >= 1;
  }, 10000ms)) << fleet(gateway).dump(2);
  EXPECT_GE(metric_value(gateway.metrics(), "sluice_fleet_actions_total", {{"action", "wake"}}).value_or(0), 1.0);
  EXPECT_GE(metric_value(gateway.metrics(), "sluice_fleet_actions_total", {{"action", "sleep"}}).value_or(0), 1.0);
  EXPECT_EQ(gateway.stop(), 0);
}

TEST(FleetTest, NodeDownMovesServingToAnotherNode) {
  Gateway gateway(make_config("shutdown_grace: 1s",
                              "  - name: small\n"
                              "    source: sim\n"
                              "    sim: {instances: 2, profile: llama-3.1-8b-h100, speedup: 50}\n"
                              "    recovery: {preferred_zones: [zone-a], standby_zone: zone-b, standby: {warm: 1}}\n") +
                  two_zone_fleet_yaml(1));
  ASSERT_TRUE(gateway.start()) << gateway.error();
  ASSERT_TRUE(wait_until([&] { return settled(gateway); }, 20000ms)) << fleet(gateway).dump(2);
  Json f = fleet(gateway);
  std::string node_of_first;
  for (const auto& i : f["instances"]) {
    if (i["state"] == "hot" && i["role"] == "serving") node_of_first = i["node"];
  }
  ASSERT_FALSE(node_of_first.empty());
  Traffic traffic(gateway.api_port(), 2, 0);
  std::this_thread::sleep_for(300ms);
  const Response down = admin_post(gateway, "/admin/fleet/faults", {{"kind", "node_down"}, {"node", node_of_first}});
  ASSERT_EQ(down.status, 200) << down.body;
  ASSERT_TRUE(wait_until([&] {
    const Json m = model_status(gateway);
    return m["serving"] == 2;
  }, 10000ms)) << fleet(gateway).dump(2);
  traffic.stop();
  f = fleet(gateway);
  for (const auto& i : f["instances"]) {
    if (i["state"] == "hot") {
      EXPECT_NE(i["node"], node_of_first) << f.dump(2);
    }
  }
  ASSERT_FALSE(f["failovers"].empty());
  EXPECT_EQ(f["failovers"][0]["cause"], "node_down");
  EXPECT_EQ(f["failovers"][0]["promoted_from"], "warm");  // the warm standby woke first
  const auto failures = traffic.failures();
  EXPECT_TRUE(failures.empty()) << failures.size() << " failed, e.g. " << failures.front();
  ASSERT_EQ(admin_post(gateway, "/admin/fleet/faults", Json::object()).status, 400);
  EXPECT_EQ(request(gateway.admin_port(), "DELETE", "/admin/fleet/faults").status, 200);
  EXPECT_EQ(gateway.stop(), 0);
}

TEST(FleetTest, PlannedDrainSleepAndWakeThroughTheAdminApi) {
  Gateway gateway(make_config("shutdown_grace: 1s",
                              "  - name: small\n"
                              "    source: sim\n"
                              "    sim: {instances: 1, profile: llama-3.1-8b-h100, speedup: 50}\n"
                              "    recovery: {standby: {hot: 1}}\n") +
                  two_zone_fleet_yaml(1));
  ASSERT_TRUE(gateway.start()) << gateway.error();
  ASSERT_TRUE(wait_until([&] { return settled(gateway); }, 20000ms)) << fleet(gateway).dump(2);
  const auto serving = ids_in(fleet(gateway), "hot", "serving");
  ASSERT_EQ(serving.size(), 1u);

  // Drain: it leaves the rotation, the hot standby takes its place.
  const Response drained = admin_post(gateway, "/admin/fleet/drain", {{"instance", serving[0]}});
  ASSERT_EQ(drained.status, 200) << drained.body;
  ASSERT_TRUE(wait_until([&] {
    const Json f = fleet(gateway);
    const auto now = ids_in(f, "hot", "serving");
    return now.size() == 1 && now[0] != serving[0] && ids_in(f, "stopped").size() + ids_in(f, "hot").size() >= 1;
  }, 5000ms)) << fleet(gateway).dump(2);
  EXPECT_EQ(post_json(gateway.api_port(), "/v1/chat/completions", chat_body("small", "hi", 4), kAcmeKey).status, 200);

  // Sleep the model: nothing serves; wake it: it serves again.
  ASSERT_EQ(admin_post(gateway, "/admin/fleet/sleep", {{"model", "small"}}).status, 200);
  ASSERT_TRUE(wait_until([&] { return model_status(gateway)["serving"] == 0; }, 5000ms)) << fleet(gateway).dump(2);
  ASSERT_EQ(admin_post(gateway, "/admin/fleet/wake", {{"model", "small"}}).status, 200);
  ASSERT_TRUE(wait_until([&] { return model_status(gateway)["serving"] == 1; }, 10000ms)) << fleet(gateway).dump(2);
  EXPECT_EQ(post_json(gateway.api_port(), "/v1/chat/completions", chat_body("small", "hi", 4), kAcmeKey).status, 200);

  // Errors: OpenAI-style JSON with a clear message.
  const Response unknown = admin_post(gateway, "/admin/fleet/drain", {{"instance", "small/99"}});
  EXPECT_EQ(unknown.status, 409);
  EXPECT_NE(unknown.body.find("small/99"), std::string::npos) << unknown.body;
  const Response bad_kind = admin_post(gateway, "/admin/fleet/faults", {{"kind", "meteor"}});
  EXPECT_EQ(bad_kind.status, 400);
  EXPECT_NE(bad_kind.body.find("unknown fault kind"), std::string::npos) << bad_kind.body;
  EXPECT_EQ(request(gateway.admin_port(), "POST", "/admin/fleet/sleep", "not json").status, 400);
  EXPECT_EQ(request(gateway.admin_port(), "PUT", "/admin/fleet").status, 405);
  EXPECT_EQ(gateway.stop(), 0);
}

TEST(FleetTest, ProcessModelRunsItsCommandTemplate) {
  // A `process` model whose command is the engine simulator itself: the
  // template, {port} and {model}, exit detection and replacement, for real.
  Gateway gateway(make_config("shutdown_grace: 1s",
                              fmt::format("  - name: small\n"
                                          "    source: process\n"
                                          "    upstream_model: org/Small\n"
                                          "    process: {{command: \"{} engine-sim --port {{port}} --profile instant "
                                          "--served-model-name {{model}}\", instances: 2}}\n",
                                          SLUICE_BINARY)));
  ASSERT_TRUE(gateway.start()) << gateway.error();
  ASSERT_TRUE(wait_until([&] { return model_status(gateway)["serving"] == 2; }, 10000ms)) << fleet(gateway).dump(2);
  const Response ok = post_json(gateway.api_port(), "/v1/chat/completions", chat_body("small", "hi", 4), kAcmeKey);
  ASSERT_EQ(ok.status, 200) << ok.body;
  const auto serving = ids_in(fleet(gateway), "hot", "serving");
  ASSERT_EQ(serving.size(), 2u);
  // Each process sees only its GPUs: without fleet.zones, one local node
  // with a GPU per instance, so the two hold different devices.
  std::set<std::string> devices;
  const Json now = fleet(gateway);
  for (const auto& i : now["instances"]) {
    std::ifstream environ("/proc/" + std::to_string(i["pid"].get<int>()) + "/environ", std::ios::binary);
    std::string var;
    while (std::getline(environ, var, '\0')) {
      if (var.starts_with("CUDA_VISIBLE_DEVICES=")) devices.insert(var);
    }
  }
  EXPECT_EQ(devices, (std::set<std::string>{"CUDA_VISIBLE_DEVICES=0", "CUDA_VISIBLE_DEVICES=1"}));
  ASSERT_EQ(admin_post(gateway, "/admin/fleet/faults", {{"kind", "crash"}, {"instance", serving[0]}}).status, 200);
  ASSERT_TRUE(wait_until([&] {
    const auto now = ids_in(fleet(gateway), "hot", "serving");
    return now.size() == 2 && std::find(now.begin(), now.end(), serving[0]) == now.end();
  }, 10000ms)) << fleet(gateway).dump(2);
  EXPECT_EQ(post_json(gateway.api_port(), "/v1/chat/completions", chat_body("small", "hi", 4), kAcmeKey).status, 200);
  EXPECT_EQ(gateway.stop(), 0);
}

}  // namespace
}  // namespace sluice::itest
