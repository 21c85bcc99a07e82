// Hot reload of the config (SIGHUP, POST /admin/reload): a new tenant key
// works right after and old keys still do; an invalid file is refused with
// its file:line errors and the old config keeps serving; a change that needs
// a restart is refused with the reason; and reloads under load drop nothing.
//
// Every test starts its own gateway and rewrites its config file in place
// (Gateway::config_path()), as an operator would.
#include <fmt/format.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <thread>

#include "harness.h"

namespace sluice::itest {
namespace {

// printf %s sk-test-initech | sha256sum
constexpr std::string_view kInitechKey = "sk-test-initech";
constexpr std::string_view kInitechHash = "b231978a44d6ea3a0b5fc05f7c0cc017eac3de9602f7409e9c82ed15ed6c53ed";

constexpr std::string_view kModels =
    "  - name: small\n"
    "    source: sim\n"
    "    sim: {instances: 2, profile: instant}\n";

std::string initech_yaml(std::string_view limits = "{}") {
  return fmt::format("  - id: initech\n"
                     "    api_keys: [sha256:{}]\n"
                     "    models: [small]\n"
                     "    limits: {}\n",
                     kInitechHash, limits);
}

/// Writes the gateway's config file anew (a rename, so a reload never reads
/// half a file).
void rewrite_config(const Gateway& gateway, const std::string& yaml) {
  const std::string tmp = gateway.config_path() + ".new";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << yaml;
  }
  ASSERT_EQ(std::rename(tmp.c_str(), gateway.config_path().c_str()), 0);
}

Response post_reload(const Gateway& gateway) { return request(gateway.admin_port(), "POST", "/admin/reload"); }

Response chat(const Gateway& gateway, std::string_view key) {
  return post_json(gateway.api_port(), "/v1/chat/completions", chat_body("small", "Hello", 8), key);
}

double reloads(const Gateway& gateway, std::string_view result) {
  return metric_value(gateway.metrics(), "sluice_config_reloads_total", {{"result", std::string(result)}})
      .value_or(-1);
}

bool has_item(const Json& list, std::string_view needle) {
  if (!list.is_array()) return false;
  for (const auto& item : list) {
    if (item.is_string() && item.get<std::string>().find(needle) != std::string::npos) return true;
  }
  return false;
}

TEST(ReloadTest, AddedTenantKeyWorksRightAfterAndOldKeysStillDo) {
  const std::string before = make_config("shutdown_grace: 1s", kModels);
  Gateway gateway(before);
  ASSERT_TRUE(gateway.start()) << gateway.error();
  EXPECT_TRUE(is_openai_error(chat(gateway, kInitechKey), 401, "invalid_api_key"));
  EXPECT_EQ(reloads(gateway, "ok"), 0);
  EXPECT_GT(metric_value(gateway.metrics(), "sluice_config_last_reload_success_timestamp_seconds").value_or(0), 1e9);

  // Tenants come before models in make_config's text: put initech there.
  std::string after = before;
  after.insert(after.find("models:\n"), initech_yaml());
  rewrite_config(gateway, after);
  const Response reload = post_reload(gateway);
  ASSERT_EQ(reload.status, 200) << reload.body;
  EXPECT_EQ(reload.header("content-type"), "application/json");
  const Json body = reload.json();
  EXPECT_EQ(body["reloaded"], true) << reload.body;
  EXPECT_TRUE(has_item(body["changes"], "tenant added: initech")) << reload.body;

  const Response added = chat(gateway, kInitechKey);
  EXPECT_EQ(added.status, 200) << added.body;
  EXPECT_EQ(chat(gateway, kAcmeKey).status, 200);
  EXPECT_EQ(chat(gateway, kGlobexKey).status, 200);
  EXPECT_EQ(reloads(gateway, "ok"), 1);
  EXPECT_NE(gateway.stderr_text().find("tenant added: initech"), std::string::npos) << gateway.stderr_text();

  // SIGHUP does the same: take the key away again.
  rewrite_config(gateway, before);
  ASSERT_TRUE(gateway.signal(SIGHUP));
  EXPECT_TRUE(wait_until([&] { return reloads(gateway, "ok") == 2; }, 5000ms));
  EXPECT_TRUE(is_openai_error(chat(gateway, kInitechKey), 401, "invalid_api_key"));
  EXPECT_EQ(chat(gateway, kAcmeKey).status, 200);
  EXPECT_TRUE(gateway.running());
}

TEST(ReloadTest, InvalidConfigIsRefusedWithFileLineErrorsAndTheOldOneServes) {
  const std::string before = make_config("shutdown_grace: 1s", kModels);
  Gateway gateway(before);
  ASSERT_TRUE(gateway.start()) << gateway.error();

  std::string after = before;
  after.insert(after.find("models:\n"), initech_yaml("{rpm: lots}"));
  rewrite_config(gateway, after);
  // Line of "limits:" in the new file (1-based).
  const int line = 1 + static_cast<int>(std::count(after.begin(), after.begin() + static_cast<long>(after.find("{rpm: lots}")), '\n'));

  const Response reload = post_reload(gateway);
  ASSERT_EQ(reload.status, 422) << reload.body;
  const Json body = reload.json();
  EXPECT_EQ(body["reloaded"], false) << reload.body;
  EXPECT_EQ(body["reason"], "invalid_config") << reload.body;
  EXPECT_TRUE(has_item(body["errors"], fmt::format("{}:{}:", gateway.config_path(), line))) << reload.body;
  EXPECT_TRUE(has_item(body["errors"], "tenants[2].limits.rpm")) << reload.body;
  EXPECT_NE(gateway.stderr_text().find("tenants[2].limits.rpm"), std::string::npos) << gateway.stderr_text();

  // The old config still serves; the refused tenant does not exist.
  EXPECT_EQ(chat(gateway, kAcmeKey).status, 200);
  EXPECT_TRUE(is_openai_error(chat(gateway, kInitechKey), 401, "invalid_api_key"));
  EXPECT_EQ(reloads(gateway, "failed"), 1);
  EXPECT_EQ(reloads(gateway, "ok"), 0);

  // A broken file through SIGHUP: refused too, the gateway keeps running.
  rewrite_config(gateway, "tenants: [\n");
  ASSERT_TRUE(gateway.signal(SIGHUP));
  EXPECT_TRUE(wait_until([&] { return reloads(gateway, "failed") == 2; }, 5000ms));
  EXPECT_EQ(chat(gateway, kGlobexKey).status, 200);

  // Only POST reloads.
  const Response get_reload = get(gateway.admin_port(), "/admin/reload");
  EXPECT_EQ(get_reload.status, 405) << get_reload.body;
  EXPECT_EQ(get_reload.json()["error"]["code"], "method_not_allowed") << get_reload.body;
}

TEST(ReloadTest, ChangeThatNeedsARestartIsRefusedWithTheReason) {
  const std::string before = make_config("shutdown_grace: 1s", kModels);
  Gateway gateway(before);
  ASSERT_TRUE(gateway.start()) << gateway.error();

  // A new API port and a new tenant: nothing of it applies.
  std::string after = before;
  after.replace(after.find("api: 127.0.0.1:0"), 16, "api: 127.0.0.1:1");
  after.insert(after.find("models:\n"), initech_yaml());
  rewrite_config(gateway, after);
  const Response reload = post_reload(gateway);
  ASSERT_EQ(reload.status, 422) << reload.body;
  const Json body = reload.json();
  EXPECT_EQ(body["reloaded"], false);
  EXPECT_EQ(body["reason"], "needs_restart") << reload.body;
  EXPECT_TRUE(has_item(body["errors"], "listen.api: 127.0.0.1:0 -> 127.0.0.1:1 needs a restart")) << reload.body;
  EXPECT_TRUE(is_openai_error(chat(gateway, kInitechKey), 401, "invalid_api_key"));
  EXPECT_EQ(chat(gateway, kAcmeKey).status, 200);

  // So does a sim fleet change.
  rewrite_config(gateway, make_config("shutdown_grace: 1s",
                                      "  - name: small\n"
                                      "    source: sim\n"
                                      "    sim: {instances: 3, profile: instant}\n"));
  const Response fleet = post_reload(gateway);
  ASSERT_EQ(fleet.status, 422) << fleet.body;
  EXPECT_TRUE(has_item(fleet.json()["errors"], "model small: sim.instances: 2 -> 3 needs a restart")) << fleet.body;
  EXPECT_EQ(reloads(gateway, "failed"), 2);
}

/// What the client threads of the load test saw.
struct LoadTally {
  std::atomic<int> ok{0};
  std::atomic<int> failed{0};
  std::mutex mu;
  std::vector<std::string> failures;  // the first few

  void fail(std::string what) {
    failed.fetch_add(1);
    std::lock_guard lock(mu);
    if (failures.size() < 5) failures.push_back(std::move(what));
  }
};

TEST(ReloadTest, ReloadsUnderLoadDropNothing) {
  // Tenants with ample limits (the reloads change them, not the load), and
  // a static model `st` whose endpoints are the engines of `small`: the
  // reloads change its endpoint list too.
  std::vector<std::uint16_t> ports;  // of small's engines, once started
  const auto config = [&ports](int round) {
    std::string tenants =
        fmt::format("tenants:\n"
                    "  - id: acme\n"
                    "    api_keys: [sha256:d4ffc8c0325f7e8e971bb4d7bc9f6a78c97920b5ac57b24380e53b6c7a96bc13]\n"
                    "    weight: {}\n"
                    "    limits: {{rpm: {}}}\n"
                    "  - id: globex\n"
                    "    api_keys: [sha256:bbb8fab5ab2c83254e4969c119cdbb68880ee066c42a36223f8ac83fff2d5b96]\n"
                    "    models: [small]\n"
                    "    limits: {{rpm: {}, max_concurrency: {}}}\n",
                    1 + round % 3, 1000000 + round, 2000000 - round, 64 + round);
    // Every other round, initech comes first: the other tenants' indices shift.
    if (round % 2 == 1) tenants.insert(std::string_view("tenants:\n").size(), initech_yaml());
    // st's endpoints by round: the first engine stays throughout (its
    // Instance, health and slots carry over); the second comes, changes
    // weight, goes, comes back, and the order changes.
    const auto url = [&](std::size_t i) { return fmt::format("http://127.0.0.1:{}", ports.at(i)); };
    std::string endpoints;
    switch (ports.empty() ? -1 : round) {
      case -1: endpoints = "[http://127.0.0.1:9]"; break;  // not started yet: a placeholder nobody uses
      case 1: case 4: case 6: endpoints = fmt::format("[{}, {}]", url(0), url(1)); break;
      case 2: endpoints = fmt::format("[{}, {{url: {}, weight: 2}}]", url(0), url(1)); break;
      case 5: endpoints = fmt::format("[{}, {}]", url(1), url(0)); break;
      default: endpoints = fmt::format("[{}]", url(0)); break;
    }
    return "listen: {api: 127.0.0.1:0, admin: 127.0.0.1:0}\n" + admin_yaml() +
           "server: {shutdown_grace: 1s, upstream_timeout: 10s, access_log: \"\"}\n" +
           tenants + "models:\n" + std::string(kModels) +
           "  - name: st\n"
           "    source: static\n"
           "    upstream_model: small\n"
           "    static: {endpoints: " + endpoints + "}\n";
  };
  Gateway gateway(config(0));
  ASSERT_TRUE(gateway.start()) << gateway.error();
  for (const auto& e : gateway.instances("small")) ports.push_back(e.port);
  ASSERT_EQ(ports.size(), 2u);
  rewrite_config(gateway, config(0));
  const Response setup = post_reload(gateway);
  ASSERT_EQ(setup.status, 200) << setup.body;
  EXPECT_TRUE(has_item(setup.json()["changes"], "model st: static endpoints +")) << setup.body;
  const auto st_healthy = [&gateway](std::uint16_t port) {
    const Json doc = get(gateway.admin_port(), "/admin/instances").json();
    for (const auto& model : doc["models"]) {
      if (model.value("model", "") != "st") continue;
      for (const auto& inst : model["instances"]) {
        if (inst.value("address", "").ends_with(":" + std::to_string(port))) return inst.value("healthy", false);
      }
    }
    return false;
  };
  ASSERT_TRUE(wait_until([&] { return st_healthy(ports[0]); }, 10000ms)) << "st's endpoint never passed its check";

  LoadTally tally;
  std::atomic<bool> stop{false};
  const std::uint16_t api = gateway.api_port();
  std::vector<std::thread> clients;
  // 1: one keep-alive connection, plain requests.
  clients.emplace_back([&] {
    auto conn = std::make_unique<Connection>(api);
    while (!stop.load()) {
      if (!conn->connected()) conn = std::make_unique<Connection>(api);
      const std::string req = build_request("POST", "/v1/chat/completions", chat_body("small", "Hi", 8).dump(),
                                            {{"Authorization", "Bearer " + std::string(kAcmeKey)}}, true);
      if (!conn->send(req)) {
        tally.fail("keep-alive: send failed");
        conn = std::make_unique<Connection>(api);
        continue;
      }
      const Response res = conn->read_response(10000ms);
      if (res.ok() && res.status == 200) tally.ok.fetch_add(1);
      else tally.fail(fmt::format("keep-alive: status {} {} {}", res.status, res.error, res.body));
      if (res.header("connection") == "close") conn = std::make_unique<Connection>(api);
    }
  });
  // 2 and 3: streams, one per connection, from both tenants; 3 mixes in
  // plain requests.
  for (const std::string_view key : {kAcmeKey, kGlobexKey}) {
    clients.emplace_back([&, key] {
      for (int i = 0; !stop.load(); ++i) {
        if (key == kGlobexKey && i % 2 == 1) {
          const Response res = post_json(api, "/v1/completions", completion_body("small", "Once", 8), key);
          if (res.ok() && res.status == 200) tally.ok.fetch_add(1);
          else tally.fail(fmt::format("plain {}: status {} {} {}", key, res.status, res.error, res.body));
          continue;
        }
        SseStream stream(api, "/v1/chat/completions", chat_body("small", "Tell me", 8, true), key);
        if (!stream.ok()) {
          tally.fail(fmt::format("stream {}: status {} {}", key, stream.head().status, stream.head().body));
          continue;
        }
        const auto events = stream.read_all(10000ms);
        const bool complete = stream.clean_end() && !events.empty() && events.back().is_done();
        if (complete) tally.ok.fetch_add(1);
        else tally.fail(fmt::format("stream {}: {} events, clean end {}", key, events.size(), stream.clean_end()));
      }
    });
  }

  // 4: plain requests to the static model.
  clients.emplace_back([&] {
    while (!stop.load()) {
      const Response res = post_json(api, "/v1/chat/completions", chat_body("st", "Hi", 8), kAcmeKey);
      if (res.ok() && res.status == 200) tally.ok.fetch_add(1);
      else tally.fail(fmt::format("st: status {} {} {}", res.status, res.error, res.body));
    }
  });

  // Six reloads over about 2 s, SIGHUP and POST in turn (one reload done).
  const auto started = Clock::now();
  int sent_ok_before = 0;
  for (int round = 1; round <= 6; ++round) {
    std::this_thread::sleep_for(300ms);
    rewrite_config(gateway, config(round));
    if (round % 2 == 1) {
      ASSERT_TRUE(gateway.signal(SIGHUP));
      EXPECT_TRUE(wait_until([&] { return reloads(gateway, "ok") == round + 1; }, 5000ms)) << "round " << round;
    } else {
      const Response r = post_reload(gateway);
      EXPECT_EQ(r.status, 200) << r.body;
      EXPECT_TRUE(has_item(r.json()["changes"], "tenant acme: limits.rpm")) << r.body;
      EXPECT_TRUE(has_item(r.json()["changes"], "model st: static endpoints")) << r.body;
    }
    // The engine that stays kept its Instance: still healthy, no new check needed.
    EXPECT_TRUE(st_healthy(ports[0])) << "round " << round;
    if (round == 1) sent_ok_before = tally.ok.load();
  }
  std::this_thread::sleep_for(300ms);
  stop.store(true);
  for (auto& t : clients) t.join();
  const auto elapsed = Clock::now() - started;

  EXPECT_EQ(tally.failed.load(), 0) << [&] {
    std::string out;
    for (const auto& f : tally.failures) out += f + "\n";
    return out;
  }();
  EXPECT_GT(tally.ok.load(), sent_ok_before);
  EXPECT_GE(tally.ok.load(), 30) << "too little load to mean anything";
  EXPECT_EQ(reloads(gateway, "ok"), 7);
  EXPECT_EQ(reloads(gateway, "failed"), 0);
  EXPECT_TRUE(gateway.running());
  std::fprintf(stderr, "[ reload   ] %d requests answered in %.1f s across 6 reloads under load, %d failed\n", tally.ok.load(),
               std::chrono::duration<double>(elapsed).count(), tally.failed.load());
}

}  // namespace
}  // namespace sluice::itest
