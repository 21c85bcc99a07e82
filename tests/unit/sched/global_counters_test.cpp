// Fleet-wide fairness, the pure part: FairQueue::take_sync / merge_global,
// with several queues standing for replicas and the sum done by hand (what
// the Redis script does).
#include <gtest/gtest.h>

#include <map>

#include "sluice/sched/fair_queue.h"

namespace sluice::sched {
namespace {

constexpr std::uint32_t kA = 0, kB = 1, kC = 2;

QueuedRequest req(std::uint32_t tenant, int n, std::int64_t in = 10, std::int64_t out = 10) {
  return QueuedRequest{.id = tenant * 1000u + static_cast<std::uint64_t>(n), .tenant = tenant,
                       .input_tokens = in, .output_tokens = out};
}

/// The Redis side of a sync, in memory: totals += deltas, at least each
/// replica's counter; waiting flags per replica.
struct Totals {
  std::map<std::uint32_t, double> counters;
  std::map<std::pair<std::uint32_t, int>, bool> waiting;  // (tenant, replica)

  GlobalCounters sync(FairQueue& q, int replica, double slack) {
    for (const CounterSync& s : q.take_sync()) {
      double& total = counters[s.tenant];
      total = std::max(total + s.delta, s.counter);
      waiting[{s.tenant, replica}] = s.waiting;
    }
    GlobalCounters g{.slack = slack};
    for (const auto& [t, c] : counters) g.counters.emplace_back(t, c);
    for (const auto& [key, w] : waiting) {
      if (w && key.second != replica) g.waiting_elsewhere.push_back(key.first);
    }
    q.merge_global(g);
    return g;
  }
};

TEST(SchedGlobalCounters, TakeSyncReportsChargesAndCorrectionsOnce) {
  FairQueue q;
  q.set_tenant(kB, {.weight = 2});
  q.enqueue(req(kA, 1));
  q.enqueue(req(kB, 1, 100, 50));
  ASSERT_TRUE(q.dispatch({}));  // A1: 10 + 2*10 = 30
  ASSERT_TRUE(q.dispatch({}));  // B1: (100 + 100) / 2 = 100
  q.on_complete(kA * 1000 + 1, 10, 5);  // used 20: correction -10
  auto s = q.take_sync();
  ASSERT_EQ(s.size(), 2u);
  std::map<std::uint32_t, CounterSync> by;
  for (const auto& x : s) by[x.tenant] = x;
  EXPECT_DOUBLE_EQ(by[kA].delta, 20.0);
  EXPECT_DOUBLE_EQ(by[kA].counter, 20.0);
  EXPECT_DOUBLE_EQ(by[kB].delta, 100.0);
  EXPECT_FALSE(by[kA].waiting);
  EXPECT_TRUE(q.take_sync().empty());  // nothing since
  EXPECT_EQ(q.take_sync(true).size(), 2u);  // every tenant seen, deltas zero
}

TEST(SchedGlobalCounters, LiftIsNotADeltaButShowsInTheCounter) {
  FairQueue q;
  q.enqueue(req(kA, 1));
  q.enqueue(req(kA, 2));
  ASSERT_TRUE(q.dispatch({}));  // A: 30
  (void)q.take_sync();
  q.enqueue(req(kB, 1));  // back from idle: lifted to A's 30
  auto s = q.take_sync();
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].tenant, kB);
  EXPECT_DOUBLE_EQ(s[0].delta, 0.0);
  EXPECT_DOUBLE_EQ(s[0].counter, 30.0);
  EXPECT_TRUE(s[0].waiting);
}

TEST(SchedGlobalCounters, MergeAddsWhatWasChargedSinceTheSnapshotAndNeverLowers) {
  FairQueue q;
  for (int i = 1; i <= 3; ++i) q.enqueue(req(kA, i));
  ASSERT_TRUE(q.dispatch({}));  // 30
  (void)q.take_sync();          // sent 30; the round trip begins
  ASSERT_TRUE(q.dispatch({}));  // 60 locally, 30 unsynced
  // Another replica served A for 500: the total is 530.
  q.merge_global({.counters = {{kA, 530.0}}});
  EXPECT_DOUBLE_EQ(q.counter(kA), 560.0);
  // A stale total (a Redis that lost its data) does not lower it.
  q.merge_global({.counters = {{kA, 10.0}}});
  EXPECT_DOUBLE_EQ(q.counter(kA), 560.0);
  // A tenant never seen here takes the fleet's counter.
  q.merge_global({.counters = {{kC, 75.0}}});
  EXPECT_DOUBLE_EQ(q.counter(kC), 75.0);
}

TEST(SchedGlobalCounters, HoldsBackATenantAheadOfOneWaitingElsewhere) {
  // A waits only on replica 0; B on both. Replica 1 has served B for a while.
  FairQueue r0, r1;
  Totals redis;
  for (int i = 1; i <= 10; ++i) {
    r0.enqueue(req(kA, i));
    r0.enqueue(req(kB, i));
    r1.enqueue(req(kB, 100 + i));
  }
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(r1.dispatch({}));  // B: 120
  redis.sync(r1, 1, 0);
  redis.sync(r0, 0, 0);  // r0 learns B = 120, A = 0
  EXPECT_DOUBLE_EQ(r0.counter(kB), 120.0);
  redis.sync(r1, 1, 0);  // r1 learns A waits on r0 with counter 0
  ASSERT_TRUE(r1.ceiling());
  EXPECT_DOUBLE_EQ(*r1.ceiling(), 0.0);
  EXPECT_FALSE(r1.dispatch({}));  // B is 120 ahead: the room is left to A
  EXPECT_EQ(r1.held(), 1u);
  // r0 serves A first (B's fleet counter is 120), four times, up to 120.
  for (int i = 0; i < 4; ++i) {
    auto r = r0.dispatch({});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->tenant, kA);
  }
  redis.sync(r0, 0, 0);
  redis.sync(r1, 1, 0);  // A is at 120 now
  auto next = r1.dispatch({});
  ASSERT_TRUE(next);
  EXPECT_EQ(next->tenant, kB);
  // Until the next sync, B goes on (the hold is decided on the synced
  // counters, so r0 and r1 never both hold); then it is held again.
  ASSERT_TRUE(r1.dispatch({}));  // B at 180
  redis.sync(r1, 1, 0);
  EXPECT_FALSE(r1.dispatch({}));
}

TEST(SchedGlobalCounters, TwoReplicasNeverHoldForEachOther) {
  // Each serves its own tenant past the other's synced counter between
  // syncs; the synced counters alone decide the hold, so one goes on.
  FairQueue r0, r1;
  Totals redis;
  for (int i = 1; i <= 20; ++i) {
    r0.enqueue(req(kA, i));
    r1.enqueue(req(kB, i));
  }
  redis.sync(r0, 0, 10);
  redis.sync(r1, 1, 10);
  for (int round = 0; round < 5; ++round) {
    const bool a = r0.dispatch({}).has_value();
    const bool b = r1.dispatch({}).has_value();
    EXPECT_TRUE(a || b) << "round " << round;
    redis.sync(r0, 0, 10);
    redis.sync(r1, 1, 10);
  }
}

TEST(SchedGlobalCounters, SlackLetsALittleThrough) {
  FairQueue r0, r1;
  Totals redis;
  r0.enqueue(req(kA, 1));
  for (int i = 1; i <= 10; ++i) r1.enqueue(req(kB, i));
  redis.sync(r0, 0, 0);
  redis.sync(r1, 1, 65);  // A waits elsewhere at 0; B may run up to 65
  int dispatched = 0;
  while (r1.dispatch({})) {
    ++dispatched;
    redis.sync(r1, 1, 65);
  }
  EXPECT_EQ(dispatched, 3);  // at 0, 30, 60; 90 > 65
}

TEST(SchedGlobalCounters, ATenantBackFromIdleStartsAtTheFleetsFloor) {
  // A tenant served only on replica 1 keeps its counter there; one that
  // was idle everywhere cannot bank credit by arriving at an idle replica.
  FairQueue r0, r1;
  Totals redis;
  for (int i = 1; i <= 20; ++i) r1.enqueue(req(kB, i));
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(r1.dispatch({}));  // B: 300, still waiting
  redis.sync(r1, 1, 0);
  redis.sync(r0, 0, 0);
  r0.enqueue(req(kC, 1));  // r0's queue is empty: C is lifted to B's 300
  EXPECT_DOUBLE_EQ(r0.counter(kC), 300.0);
  redis.sync(r0, 0, 0);
  EXPECT_DOUBLE_EQ(redis.counters[kC], 300.0);  // the lift reaches the fleet
}

TEST(SchedGlobalCounters, ClearGlobalIsLocalFairnessAgain) {
  FairQueue r0, r1;
  Totals redis;
  r0.enqueue(req(kA, 1));
  for (int i = 1; i <= 3; ++i) r1.enqueue(req(kB, i));
  r1.enqueue(req(kB, 9));
  ASSERT_TRUE(r1.dispatch({}));
  redis.sync(r0, 0, 0);
  redis.sync(r1, 1, 0);
  EXPECT_FALSE(r1.dispatch({}));
  r1.clear_global();
  EXPECT_FALSE(r1.ceiling());
  EXPECT_TRUE(r1.dispatch({}));
}

TEST(SchedGlobalCounters, NoHoldUnderOtherPolicies) {
  FairQueue r1({.policy = Policy::kFcfs});
  r1.enqueue(req(kB, 1));
  r1.merge_global({.counters = {{kA, 0.0}, {kB, 500.0}}, .waiting_elsewhere = {kA}});
  EXPECT_TRUE(r1.dispatch({}));
}

}  // namespace
}  // namespace sluice::sched
