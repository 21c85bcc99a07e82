// Several gateway replicas with one fleet leader (cluster.redis): exactly one
// replica drives the sim fleet, the others route to the instances it
// publishes; kill -9 the leader and another replica takes the lease over,
// adopts the running engines (nothing restarted) and the fleet keeps
// serving through a surviving replica.
#include <signal.h>

#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "../support/redis_server.h"
#include "harness.h"

namespace sluice::itest {
namespace {

std::string replica_config(const std::string& redis_url) {
  return make_config("shutdown_grace: 1s",
                     "  - name: small\n"
                     "    source: sim\n"
                     "    sim: {instances: 2, profile: llama-3.1-8b-h100, speedup: 50}\n") +
         two_zone_fleet_yaml(1) +
         fmt::format("cluster: {{redis: \"{}\", leader_lease: 1s, sync_interval: 100ms}}\n", redis_url);
}

bool is_leader(const Gateway& g) {
  const auto v = metric_value(g.metrics(), "sluice_cluster_leader");
  return v && *v == 1;
}

/// id → pid of the instances of a fleet JSON (leader's or follower's view).
std::map<std::string, int> pids_of(const Json& fleet) {
  std::map<std::string, int> out;
  if (!fleet.contains("instances")) return out;
  for (const auto& i : fleet["instances"]) out[i.value("id", "")] = i.value("pid", -1);
  return out;
}

Response admin_request(const Gateway& g, std::string_view method, std::string_view path, std::string_view body = {}) {
  return request(g.admin_port(), method, path, body,
                 {{"Authorization", "Bearer " + std::string(kTestAdminToken)}}, 5000ms);
}

TEST(ReplicasLeaderTest, OneLeaderAndAKilledLeadersEnginesAreAdoptedNotRestarted) {
  testing::RedisServer redis;
  if (!redis.start()) GTEST_SKIP() << redis.error();
  const std::string config = replica_config(redis.url());

  std::vector<std::unique_ptr<Gateway>> replicas;
  for (int i = 0; i < 3; ++i) {
    replicas.push_back(std::make_unique<Gateway>(config));
    ASSERT_TRUE(replicas.back()->start(30000ms)) << replicas.back()->error() << replicas.back()->stderr_text();
  }
  const auto leaders = [&] {
    std::vector<Gateway*> out;
    for (auto& g : replicas) {
      if (g->running() && is_leader(*g)) out.push_back(g.get());
    }
    return out;
  };
  ASSERT_TRUE(wait_until([&] { return leaders().size() == 1; }, 5000ms));
  Gateway* leader = leaders().front();
  const auto engines = [&](const Gateway& g) {
    return pids_of(admin_request(g, "GET", "/admin/fleet").json());
  };
  ASSERT_TRUE(wait_until([&] { return engines(*leader).size() == 2; }, 20000ms))
      << admin_request(*leader, "GET", "/admin/fleet").body;
  const std::map<std::string, int> before = engines(*leader);
  for (const auto& [id, pid] : before) ASSERT_TRUE(pid_alive(pid)) << id;

  std::vector<Gateway*> followers;
  for (auto& g : replicas) {
    if (g.get() != leader) followers.push_back(g.get());
  }
  for (Gateway* f : followers) {
    // Every replica routes to the leader's instances, is ready, and sends
    // fleet changes to the leader.
    ASSERT_TRUE(wait_until([&] { return engines(*f) == before; }, 5000ms))
        << admin_request(*f, "GET", "/admin/fleet").body;
    EXPECT_EQ(get(f->admin_port(), "/readyz").status, 200);
    const Response change = admin_request(*f, "POST", "/admin/fleet/drain", R"({"instance":"small/0"})");
    EXPECT_EQ(change.status, 409) << change.body;
    EXPECT_EQ(change.json()["error"]["code"], "not_fleet_leader") << change.body;
    EXPECT_FALSE(change.json()["leader"].get<std::string>().empty()) << change.body;
    const Response served =
        post_json(f->api_port(), "/v1/chat/completions", chat_body("small", "hello", 4), kAcmeKey);
    EXPECT_EQ(served.status, 200) << served.body;
  }
  const auto epoch_before = metric_value(leader->metrics(), "sluice_cluster_leader_epoch");
  ASSERT_TRUE(epoch_before);

  // Light load through one follower while the leader is killed.
  Gateway* survivor = followers.front();
  Traffic traffic(survivor->api_port(), 2, 1);
  std::this_thread::sleep_for(500ms);
  const auto killed_at = Clock::now();
  ASSERT_TRUE(leader->signal(SIGKILL));
  ASSERT_TRUE(leader->wait_exit(5000ms));
  ASSERT_TRUE(wait_until([&] { return leaders().size() == 1; }, 5000ms, 10ms)) << "no replica took the lease over";
  const double takeover_s = std::chrono::duration<double>(Clock::now() - killed_at).count();
  Gateway* next = leaders().front();
  RecordProperty("takeover_s", fmt::format("{:.3f}", takeover_s));
  std::printf("[ takeover ] a follower led the fleet %.3f s after the leader was killed (lease 1 s)\n", takeover_s);
  // Bound: the lease (1 s) plus one retry interval, with slack for a busy machine.
  EXPECT_LT(takeover_s, 2.5);
  const auto epoch_after = metric_value(next->metrics(), "sluice_cluster_leader_epoch");
  ASSERT_TRUE(epoch_after);
  EXPECT_GT(*epoch_after, *epoch_before);

  // The engines were adopted, not restarted: same instances, same pids, and
  // no new one after a few reconcile rounds.
  ASSERT_TRUE(wait_until([&] { return engines(*next) == before; }, 3000ms))
      << admin_request(*next, "GET", "/admin/fleet").body;
  std::this_thread::sleep_for(1500ms);
  traffic.stop();
  EXPECT_EQ(engines(*next), before) << admin_request(*next, "GET", "/admin/fleet").body;
  for (const auto& [id, pid] : before) EXPECT_TRUE(pid_alive(pid)) << id;
  for (Gateway* f : followers) {
    if (f == next) continue;
    EXPECT_EQ(engines(*f), before) << admin_request(*f, "GET", "/admin/fleet").body;
  }
  EXPECT_GT(traffic.unary() + traffic.streams(), 0);
  EXPECT_TRUE(traffic.failures().empty()) << traffic.failures().size() << " failed, first: "
                                          << (traffic.failures().empty() ? "" : traffic.failures().front());

  // Shut down followers first, then the leader: the last replica stops the engines.
  for (Gateway* f : followers) {
    if (f == next) continue;
    EXPECT_EQ(f->stop(), 0) << f->stderr_text();
  }
  EXPECT_EQ(next->stop(), 0) << next->stderr_text();
  std::vector<pid_t> pids;
  for (const auto& [id, pid] : before) pids.push_back(pid);
  EXPECT_TRUE(wait_pids_gone(pids, 5000ms)) << "the last replica left engines running";
  for (pid_t pid : pids) {
    if (pid_alive(pid)) ::kill(pid, SIGKILL);  // never leave a stray engine behind
  }
}

TEST(ReplicasLeaderTest, ALeaderStoppedCleanlyHandsItsEnginesOverAndTheLastReplicaStopsThem) {
  testing::RedisServer redis;
  if (!redis.start()) GTEST_SKIP() << redis.error();
  const std::string config = replica_config(redis.url());
  Gateway first(config);
  ASSERT_TRUE(first.start(30000ms)) << first.error() << first.stderr_text();
  Gateway second(config);
  ASSERT_TRUE(second.start(30000ms)) << second.error() << second.stderr_text();
  ASSERT_TRUE(is_leader(first));
  ASSERT_FALSE(is_leader(second));
  const auto engines = [](const Gateway& g) { return pids_of(admin_request(g, "GET", "/admin/fleet").json()); };
  ASSERT_TRUE(wait_until([&] { return engines(first).size() == 2 && engines(second) == engines(first); }, 10000ms));
  const std::map<std::string, int> before = engines(first);

  // SIGTERM: the leader releases the lease; the other replica leads at its
  // next attempt, well within the lease, and adopts the same engines.
  ASSERT_TRUE(first.signal(SIGTERM));
  const auto stopped_at = Clock::now();
  ASSERT_TRUE(wait_until([&] { return is_leader(second); }, 5000ms, 10ms));
  const double handover_s = std::chrono::duration<double>(Clock::now() - stopped_at).count();
  std::printf("[ hand-over ] the other replica led %.3f s after SIGTERM (shutdown_grace 1 s, lease 1 s)\n", handover_s);
  EXPECT_EQ(first.wait_exit(10000ms), 0) << first.stderr_text();
  ASSERT_TRUE(wait_until([&] { return engines(second) == before; }, 3000ms))
      << admin_request(second, "GET", "/admin/fleet").body;
  for (const auto& [id, pid] : before) EXPECT_TRUE(pid_alive(pid)) << id;
  EXPECT_EQ(post_json(second.api_port(), "/v1/chat/completions", chat_body("small", "hi", 4), kAcmeKey).status, 200);

  // The last replica takes the engines with it.
  EXPECT_EQ(second.stop(), 0) << second.stderr_text();
  std::vector<pid_t> pids;
  for (const auto& [id, pid] : before) pids.push_back(pid);
  EXPECT_TRUE(wait_pids_gone(pids, 5000ms)) << "the last replica left engines running";
  for (pid_t pid : pids) {
    if (pid_alive(pid)) ::kill(pid, SIGKILL);
  }
}

TEST(ReplicasLeaderTest, WithoutRedisNobodyLeadsTheEnginesKeepServingAndAreAdoptedWhenItReturns) {
  testing::RedisServer redis;
  if (!redis.start()) GTEST_SKIP() << redis.error();
  const std::string config = replica_config(redis.url());
  Gateway first(config);
  ASSERT_TRUE(first.start(30000ms)) << first.error() << first.stderr_text();
  Gateway second(config);
  ASSERT_TRUE(second.start(30000ms)) << second.error() << second.stderr_text();
  const auto engines = [](const Gateway& g) { return pids_of(admin_request(g, "GET", "/admin/fleet").json()); };
  ASSERT_TRUE(wait_until([&] { return engines(first).size() == 2 && engines(second) == engines(first); }, 10000ms));
  const std::map<std::string, int> before = engines(first);

  // Redis dies: the leader cannot renew and steps down within its lease;
  // nobody drives the fleet, and both replicas keep serving from their tables.
  redis.kill();
  const auto killed_at = Clock::now();
  ASSERT_TRUE(wait_until([&] { return !is_leader(first) && !is_leader(second); }, 3000ms, 10ms));
  const double stepped_down_s = std::chrono::duration<double>(Clock::now() - killed_at).count();
  std::printf("[ redis down ] the leader stepped down %.3f s after Redis died (lease 1 s)\n", stepped_down_s);
  EXPECT_LT(stepped_down_s, 1.5);
  for (const Gateway* g : {&first, &second}) {
    EXPECT_EQ(post_json(g->api_port(), "/v1/chat/completions", chat_body("small", "hi", 4), kAcmeKey).status, 200);
  }

  // Redis is back, empty (no persistence): one replica leads again and
  // adopts the running engines from the table it kept; none is restarted.
  ASSERT_TRUE(redis.restart()) << redis.error();
  ASSERT_TRUE(wait_until([&] { return is_leader(first) != is_leader(second); }, 5000ms, 20ms));
  Gateway& leader = is_leader(first) ? first : second;
  ASSERT_TRUE(wait_until([&] { return engines(leader) == before; }, 3000ms))
      << admin_request(leader, "GET", "/admin/fleet").body;
  std::this_thread::sleep_for(500ms);
  EXPECT_EQ(engines(leader), before);
  for (const auto& [id, pid] : before) EXPECT_TRUE(pid_alive(pid)) << id;

  Gateway& follower = &leader == &first ? second : first;
  EXPECT_EQ(follower.stop(), 0) << follower.stderr_text();
  EXPECT_EQ(leader.stop(), 0) << leader.stderr_text();
  std::vector<pid_t> pids;
  for (const auto& [id, pid] : before) pids.push_back(pid);
  EXPECT_TRUE(wait_pids_gone(pids, 5000ms)) << "the last replica left engines running";
  for (pid_t pid : pids) {
    if (pid_alive(pid)) ::kill(pid, SIGKILL);
  }
}

}  // namespace
}  // namespace sluice::itest
