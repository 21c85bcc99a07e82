// SharedLimits against a real redis-server: two replicas' ledgers share one
// tenant's limits; Redis killed and restarted.
#include "sluice/cluster/shared_limits.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <thread>

#include "../../support/redis_server.h"

namespace sluice::cluster {
namespace {

using namespace std::chrono_literals;

config::Config one_tenant(std::optional<std::int64_t> rpm, std::optional<std::int64_t> conc = std::nullopt) {
  config::Config cfg;
  config::Tenant a;
  a.id = "acme";
  a.limits.rpm = rpm;
  a.limits.max_concurrency = conc;
  cfg.tenants = {a};
  config::Model m;
  m.name = "small";
  cfg.models = {m};
  return cfg;
}

/// One replica: its ledger and its SharedLimits.
struct Replica {
  Replica(const config::ClusterConfig& cc, const config::Config& cfg, std::string id)
      : ledger(std::make_shared<tenancy::QuotaLedger>(cfg, core::steady_now())),
        sharing(std::make_shared<tenancy::QuotaSharing>()),
        shared(cc, std::move(id), sharing, [this] { return ledger; }) {
    ledger->share(sharing);
    shared.start();
  }
  /// admit(), taking a lease when the ledger asks for one: what the gateway does.
  tenancy::AdmitDecision admit() {
    tenancy::AdmitDecision d = ledger->admit(0, 0, 1, core::steady_now());
    if (!d.pending()) return d;
    const tenancy::LeaseNeed need = *d.lease;
    std::promise<LeaseResult> p;
    shared.take(need, [&p](LeaseResult r) { p.set_value(std::move(r)); });
    LeaseResult r = p.get_future().get();
    if (r) return ledger->admit_granted(0, 0, 1, need, *r, core::steady_now());
    ledger->release(0, 0, 1, need);
    return ledger->admit(0, 0, 1, core::steady_now());  // fallback mode now
  }
  std::shared_ptr<tenancy::QuotaLedger> ledger;
  std::shared_ptr<tenancy::QuotaSharing> sharing;
  SharedLimits shared;
};

config::ClusterConfig cluster_config(const testing::RedisServer& redis) {
  config::ClusterConfig cc;
  cc.redis = redis.url();
  cc.redis_timeout = 100ms;
  cc.sync_interval = 50ms;
  return cc;
}

TEST(SharedLimitsTest, TwoReplicasTogetherAdmitTheLimitOnce) {
  testing::RedisServer redis;
  if (!redis.start()) GTEST_SKIP() << redis.error();
  const auto cc = cluster_config(redis);
  const config::Config cfg = one_tenant(600);
  Replica a(cc, cfg, "a"), b(cc, cfg, "b");
  EXPECT_EQ(a.sharing->mode.load(), tenancy::QuotaMode::kLeased);
  int admitted = 0;
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < 1500; ++i) {
    if ((i % 3 == 0 ? b : a).admit().admitted()) ++admitted;
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  // 600 at once (the shared bucket starts full) plus its refill, 10 per second.
  EXPECT_GE(admitted, 600);
  EXPECT_LE(admitted, 600 + static_cast<int>(10 * seconds) + 1) << seconds << " s";
  // Both replicas are live in Redis.
  std::this_thread::sleep_for(150ms);
  EXPECT_EQ(a.shared.live_replicas(), 2);
}

TEST(SharedLimitsTest, ConcurrentAdmissionsFarBelowTheLimitAreNeverRefused) {
  testing::RedisServer redis;
  if (!redis.start()) GTEST_SKIP() << redis.error();
  auto cc = cluster_config(redis);
  cc.lease_fraction = 0;  // every admission asks Redis: the most contention
  config::Config cfg = one_tenant(100'000'000, 100'000);
  cfg.tenants[0].limits.tpm = 10'000'000'000;
  Replica a(cc, cfg, "a");
  std::atomic<int> refused{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 300; ++i) {
        const auto d = a.admit();
        if (!d.admitted()) {
          ++refused;
          ADD_FAILURE() << tenancy::to_string(d.refusal) << ": " << d.message;
          return;
        }
        a.ledger->finish(0, 0, 1, 1, core::steady_now());
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(refused.load(), 0);
}

TEST(SharedLimitsTest, ConcurrencyIsCappedAcrossReplicasAndSlotsComeBack) {
  testing::RedisServer redis;
  if (!redis.start()) GTEST_SKIP() << redis.error();
  const auto cc = cluster_config(redis);
  const config::Config cfg = one_tenant(std::nullopt, 3);
  Replica a(cc, cfg, "a"), b(cc, cfg, "b");
  EXPECT_TRUE(a.admit().admitted());
  EXPECT_TRUE(b.admit().admitted());
  EXPECT_TRUE(a.admit().admitted());
  EXPECT_EQ(b.admit().refusal, tenancy::Refusal::kConcurrency);
  a.ledger->finish(0, 0, 1, 1, core::steady_now());
  std::this_thread::sleep_for(500ms);  // a is idle: its spare slot goes back at its next sync
  EXPECT_TRUE(b.admit().admitted());
}

TEST(SharedLimitsTest, RedisDownFallsBackToLocalShareAndRejoins) {
  testing::RedisServer redis;
  if (!redis.start()) GTEST_SKIP() << redis.error();
  const auto cc = cluster_config(redis);
  const config::Config cfg = one_tenant(60);
  Replica a(cc, cfg, "a"), b(cc, cfg, "b");
  std::this_thread::sleep_for(150ms);
  ASSERT_EQ(a.shared.live_replicas(), 2);
  redis.kill();
  const auto t0 = std::chrono::steady_clock::now();
  while (a.sharing->mode.load() == tenancy::QuotaMode::kLeased && std::chrono::steady_clock::now() - t0 < 2s) {
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_EQ(a.sharing->mode.load(), tenancy::QuotaMode::kLocal);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 500ms);  // within a sync interval and a timeout
  EXPECT_FALSE(a.shared.redis_up());
  // Alone, each replica enforces half of the 60 requests per minute, its
  // bucket restarted from the lease it held (none here), never full: falling
  // back never admits more than sharing would have.
  int admitted = 0;
  for (int i = 0; i < 100; ++i) {
    if (a.admit().admitted()) ++admitted;
  }
  EXPECT_LE(admitted, 1);
  EXPECT_EQ(a.ledger->status(0, 0, core::steady_now()).limit_requests, 30);
  ASSERT_TRUE(redis.restart()) << redis.error();
  const auto t1 = std::chrono::steady_clock::now();
  while (!a.shared.redis_up() && std::chrono::steady_clock::now() - t1 < 3s) std::this_thread::sleep_for(10ms);
  EXPECT_TRUE(a.shared.redis_up());
  EXPECT_EQ(a.sharing->mode.load(), tenancy::QuotaMode::kLeased);
}

TEST(SharedLimitsTest, ClosedFallbackRefusesWhileRedisIsAway) {
  testing::RedisServer redis;
  if (!redis.start()) GTEST_SKIP() << redis.error();
  auto cc = cluster_config(redis);
  cc.fallback = config::ClusterFallback::kClosed;
  Replica a(cc, one_tenant(60), "a");
  redis.kill();
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(a.admit().refusal, tenancy::Refusal::kUnavailable);
}

}  // namespace
}  // namespace sluice::cluster
