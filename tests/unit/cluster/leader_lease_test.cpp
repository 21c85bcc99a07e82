// The fleet leader's lease: the pure decider with a manual clock, and the
// Redis operations against a real redis-server on a loopback port.
#include "sluice/cluster/leader_lease.h"

#include <gtest/gtest.h>

#include <thread>

#include "../../support/redis_server.h"

namespace sluice::cluster {
namespace {

using namespace std::chrono_literals;
using Step = LeaseDecider::Step;

const core::TimePoint t0 = core::TimePoint{} + 1000s;

TEST(LeaseDeciderTest, AFollowerTriesToAcquireEveryRetryInterval) {
  LeaseDecider d(LeaseTiming::from(3s, 100ms));
  EXPECT_EQ(d.next(t0), Step::kAcquire);  // at once at start
  d.attempt_failed(t0);
  EXPECT_EQ(d.next(t0 + 99ms), Step::kWait);
  EXPECT_EQ(d.next(t0 + 100ms), Step::kAcquire);
  EXPECT_FALSE(d.leader());
}

TEST(LeaseDeciderTest, ALeaderRenewsEveryThirdOfItsLeaseAndKeepsItWhileRenewsSucceed) {
  LeaseDecider d(LeaseTiming::from(3s, 100ms));
  d.acquired(t0, 7);
  EXPECT_TRUE(d.leader());
  EXPECT_EQ(d.epoch(), 7);
  EXPECT_EQ(d.next(t0 + 999ms), Step::kWait);
  EXPECT_EQ(d.next(t0 + 1s), Step::kRenew);
  d.renewed(t0 + 1s);
  EXPECT_EQ(d.next(t0 + 1500ms), Step::kWait);
  // Renewed well within the lease for a long time: never steps down.
  for (int k = 2; k < 100; ++k) {
    const auto now = t0 + k * 1s;
    ASSERT_EQ(d.next(now), Step::kRenew) << k;
    d.renewed(now);
  }
  EXPECT_TRUE(d.leader());
}

TEST(LeaseDeciderTest, ALeaderThatCannotRenewStepsDownBeforeItsLeaseCanExpireInRedis) {
  LeaseDecider d(LeaseTiming::from(3s, 100ms));
  d.acquired(t0, 1);
  // Every renew fails from here on: it keeps asking to renew …
  EXPECT_EQ(d.next(t0 + 1s), Step::kRenew);
  EXPECT_EQ(d.next(t0 + 2s), Step::kRenew);
  EXPECT_EQ(d.next(t0 + 2699ms), Step::kRenew);
  // … and steps down at sent + ttl - margin (2.7 s), before Redis (3 s
  // after it received the acquire, which is after it was sent) frees it.
  EXPECT_EQ(d.valid_until(), t0 + 2700ms);
  EXPECT_EQ(d.next(t0 + 2700ms), Step::kStepDown);
  EXPECT_LT(d.valid_until(), t0 + d.timing().ttl);
  d.lost(t0 + 2700ms);
  EXPECT_FALSE(d.leader());
  EXPECT_EQ(d.next(t0 + 2750ms), Step::kWait);
  EXPECT_EQ(d.next(t0 + 2800ms), Step::kAcquire);
}

TEST(LeaseDeciderTest, ALateReplyToAnOldRenewNeverMovesTheDeadlineBack) {
  LeaseDecider d(LeaseTiming::from(3s, 100ms));
  d.acquired(t0, 1);
  d.renewed(t0 + 2s);
  d.renewed(t0 + 1s);  // an older renew's reply
  EXPECT_EQ(d.valid_until(), t0 + 2s + 2700ms);
}

class RedisLeaseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!server_.start()) GTEST_SKIP() << server_.error();
  }
  testing::RedisServer server_;
};

TEST_F(RedisLeaseTest, OneReplicaHoldsTheLeaseAndEachAcquisitionHasALargerEpoch) {
  RedisConnection ca(*parse_redis_url(server_.url()), 500ms);
  RedisConnection cb(*parse_redis_url(server_.url()), 500ms);
  RedisLease a(ca, "t:", "gw-a");
  RedisLease b(cb, "t:", "gw-b");
  auto won = a.try_acquire(300ms);
  ASSERT_TRUE(won) << won.error();
  ASSERT_TRUE(won->has_value());
  const std::int64_t first = **won;
  EXPECT_GE(first, 1);
  // b cannot take it while a holds it, and its attempts burn no epochs.
  for (int i = 0; i < 3; ++i) {
    auto lost = b.try_acquire(300ms);
    ASSERT_TRUE(lost) << lost.error();
    EXPECT_FALSE(lost->has_value());
  }
  auto h = b.holder();
  ASSERT_TRUE(h && h->has_value());
  EXPECT_EQ((*h)->replica, "gw-a");
  EXPECT_EQ((*h)->epoch, first);
  EXPECT_EQ(*a.holds(first), true);
  EXPECT_EQ(*b.holds(first), false);  // b's value for that epoch is not the lease's

  // a renews: the lease outlives its first TTL.
  for (int i = 0; i < 4; ++i) {
    std::this_thread::sleep_for(100ms);
    auto renewed = a.renew(first, 300ms);
    ASSERT_TRUE(renewed) << renewed.error();
    EXPECT_TRUE(*renewed);
  }
  EXPECT_FALSE(b.try_acquire(300ms)->has_value());

  // a stops renewing: after the TTL b takes it with a larger epoch …
  std::int64_t second = 0;
  const auto deadline = std::chrono::steady_clock::now() + 2s;
  while (std::chrono::steady_clock::now() < deadline) {
    auto r = b.try_acquire(300ms);
    ASSERT_TRUE(r) << r.error();
    if (r->has_value()) {
      second = **r;
      break;
    }
    std::this_thread::sleep_for(20ms);
  }
  EXPECT_EQ(second, first + 1);
  // … and a's late renew, fenced write and release change nothing.
  EXPECT_EQ(*a.renew(first, 300ms), false);
  EXPECT_EQ(*a.fenced_set(first, "t:table", "stale"), false);
  EXPECT_EQ(ca.command({"EXISTS", "t:table"})->as_int(), 0);
  ASSERT_TRUE(a.release(first));
  EXPECT_EQ(*b.holds(second), true);
  EXPECT_EQ(*b.fenced_set(second, "t:table", "fresh"), true);
  EXPECT_EQ(cb.command({"GET", "t:table"})->text, "fresh");

  // A clean release lets the next attempt win at once.
  ASSERT_TRUE(b.release(second));
  auto third = a.try_acquire(300ms);
  ASSERT_TRUE(third && third->has_value());
  EXPECT_EQ(**third, second + 1);
}

TEST_F(RedisLeaseTest, RedisAwayIsAnErrorNotAHang) {
  RedisConnection c(*parse_redis_url(server_.url()), 100ms);
  RedisLease a(c, "t:", "gw-a");
  ASSERT_TRUE(a.try_acquire(1s));
  server_.kill();
  const auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(a.renew(1, 1s));
  EXPECT_FALSE(a.try_acquire(1s));
  EXPECT_FALSE(a.holds(1));
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
}

TEST(LeaseValueTest, ParsesEpochAndReplica) {
  auto h = parse_lease_value("12 gw-a b");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->epoch, 12);
  EXPECT_EQ(h->replica, "gw-a b");
  EXPECT_FALSE(parse_lease_value("gw-a"));
  EXPECT_FALSE(parse_lease_value("x gw"));
  EXPECT_FALSE(parse_lease_value("3 "));
}

}  // namespace
}  // namespace sluice::cluster
