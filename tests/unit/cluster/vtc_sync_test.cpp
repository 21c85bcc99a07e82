// cluster::VtcSync against a real redis-server: two replicas' fair queues
// share their counters and waiting tenants; Redis killed → local fairness,
// the deltas not sent are kept; Redis back → synced again.
#include "sluice/cluster/vtc_sync.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "../../support/redis_server.h"

namespace sluice::cluster {
namespace {

using namespace std::chrono_literals;

constexpr std::uint32_t kA = 0, kB = 1;

sched::QueuedRequest req(std::uint32_t tenant, int n, std::int64_t in = 10, std::int64_t out = 10) {
  return sched::QueuedRequest{.id = tenant * 1000u + static_cast<std::uint64_t>(n), .tenant = tenant,
                              .input_tokens = in, .output_tokens = out};
}

/// One replica: a fair queue of model "m" and its sync (the queue is only
/// touched from the test thread; sync_once runs there too).
struct Replica {
  sched::FairQueue queue;
  int clears = 0;
  std::unique_ptr<VtcSync> sync;

  Replica(const std::string& url, const std::string& id, const std::vector<std::string>& tenants) {
    std::vector<FairnessPool> pools;
    pools.push_back(FairnessPool{.model = "m",
                                 .take = [this](bool all) { return queue.take_sync(all); },
                                 .merge = [this](const sched::GlobalCounters& g) { queue.merge_global(g); },
                                 .clear = [this] {
                                   ++clears;
                                   queue.clear_global();
                                 }});
    sync = std::make_unique<VtcSync>(
        VtcSyncConfig{.address = *parse_redis_url(url), .timeout = 200ms, .replica_id = id, .slack = 0},
        std::move(pools), [tenants] { return tenants; });
  }
};

TEST(VtcSyncTest, ReplicasShareCountersAndHoldForATenantWaitingElsewhere) {
  testing::RedisServer server;
  if (!server.start()) GTEST_SKIP() << server.error();
  const std::vector<std::string> tenants = {"alpha", "beta"};
  Replica r1(server.url(), "r1", tenants), r2(server.url(), "r2", tenants);
  for (int i = 1; i <= 5; ++i) r2.queue.enqueue(req(kB, i));
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(r2.queue.dispatch({}));  // beta: 90 on r2
  r1.queue.enqueue(req(kA, 1));                                     // alpha waits on r1
  ASSERT_TRUE(r2.sync->sync_once());
  ASSERT_TRUE(r1.sync->sync_once());
  EXPECT_TRUE(r1.sync->synced());
  EXPECT_DOUBLE_EQ(r1.queue.counter(kB), 90.0);  // r1 never served beta: the fleet's counter
  ASSERT_TRUE(r1.queue.ceiling());               // beta waits on r2, at 90: alpha (0) is not held
  EXPECT_DOUBLE_EQ(*r1.queue.ceiling(), 90.0);
  ASSERT_TRUE(r2.sync->sync_once());             // r2 learns alpha waits on r1 at 0
  ASSERT_TRUE(r2.queue.ceiling());
  EXPECT_DOUBLE_EQ(*r2.queue.ceiling(), 0.0);
  EXPECT_FALSE(r2.queue.dispatch({}));  // beta is held: the room is alpha's
  // alpha served on r1 up to beta's counter: beta may go again.
  for (int i = 2; i <= 4; ++i) r1.queue.enqueue(req(kA, i));
  for (int i = 0; i < 3; ++i) ASSERT_EQ(r1.queue.dispatch({})->tenant, kA);
  ASSERT_TRUE(r1.sync->sync_once());
  ASSERT_TRUE(r2.sync->sync_once());
  EXPECT_DOUBLE_EQ(r2.queue.counter(kA), 90.0);
  EXPECT_TRUE(r2.queue.dispatch({}));
  // What Redis holds: the sums of both replicas' charges.
  RedisConnection redis(*parse_redis_url(server.url()), 200ms);
  auto alpha = redis.command({"HGET", "sluice:vtc:m:counters", "alpha"});
  auto beta = redis.command({"HGET", "sluice:vtc:m:counters", "beta"});
  ASSERT_TRUE(alpha && beta);
  EXPECT_EQ(alpha->text, "90");
  EXPECT_EQ(beta->text, "90");  // the 4th beta request is not synced yet
}

TEST(VtcSyncTest, RedisAwayIsLocalFairnessAndNothingIsLostWhenItReturns) {
  testing::RedisServer server;
  if (!server.start()) GTEST_SKIP() << server.error();
  const std::vector<std::string> tenants = {"alpha", "beta"};
  Replica r1(server.url(), "r1", tenants), r2(server.url(), "r2", tenants);
  r1.queue.enqueue(req(kA, 1));
  for (int i = 1; i <= 5; ++i) r2.queue.enqueue(req(kB, i));
  ASSERT_TRUE(r2.queue.dispatch({}));
  ASSERT_TRUE(r1.sync->sync_once());
  ASSERT_TRUE(r2.sync->sync_once());
  ASSERT_TRUE(r2.queue.ceiling());  // alpha waits on r1

  server.kill();
  ASSERT_TRUE(r2.queue.dispatch({}) == std::nullopt);  // still held until the sync notices
  EXPECT_FALSE(r2.sync->sync_once());
  EXPECT_FALSE(r2.sync->synced());
  EXPECT_EQ(r2.clears, 1);
  EXPECT_FALSE(r2.queue.ceiling());     // local fairness: beta is served
  ASSERT_TRUE(r2.queue.dispatch({}));  // beta: 60 on r2, 30 of it not sent
  EXPECT_FALSE(r2.sync->sync_once());  // still away (fails fast)

  ASSERT_TRUE(server.restart());  // an empty Redis
  bool back = false;
  for (int i = 0; i < 50 && !back; ++i) {
    back = r2.sync->sync_once();
    if (!back) std::this_thread::sleep_for(50ms);
  }
  ASSERT_TRUE(back);
  EXPECT_TRUE(r2.sync->synced());
  RedisConnection redis(*parse_redis_url(server.url()), 200ms);
  auto beta = redis.command({"HGET", "sluice:vtc:m:counters", "beta"});
  ASSERT_TRUE(beta);
  EXPECT_EQ(beta->text, "60");  // r2's counter, sent again in full
  // r1's connection broke with the restart: its first sync fails, a later one works.
  bool r1_back = false;
  for (int i = 0; i < 50 && !r1_back; ++i) {
    r1_back = r1.sync->sync_once();
    if (!r1_back) std::this_thread::sleep_for(50ms);
  }
  ASSERT_TRUE(r1_back);
  EXPECT_DOUBLE_EQ(r1.queue.counter(kB), 60.0);
}

TEST(VtcSyncTest, TheThreadSyncsEveryInterval) {
  testing::RedisServer server;
  if (!server.start()) GTEST_SKIP() << server.error();
  sched::FairQueue queue;
  std::mutex mu;
  std::vector<FairnessPool> pools;
  pools.push_back(FairnessPool{.model = "m",
                               .take = [&](bool all) {
                                 std::lock_guard lock(mu);
                                 return queue.take_sync(all);
                               },
                               .merge = [&](const sched::GlobalCounters& g) {
                                 std::lock_guard lock(mu);
                                 queue.merge_global(g);
                               },
                               .clear = [] {}});
  VtcSync sync(VtcSyncConfig{.address = *parse_redis_url(server.url()), .interval = 10ms, .replica_id = "r"},
               std::move(pools), [] { return std::vector<std::string>{"alpha"}; });
  sync.start();
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (sync.syncs() < 5 && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(10ms);
  sync.stop();
  EXPECT_GE(sync.syncs(), 5u);
  EXPECT_TRUE(sync.synced());
}

}  // namespace
}  // namespace sluice::cluster
