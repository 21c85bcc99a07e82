#include "sluice/sched/fair_queue.h"

#include <gtest/gtest.h>

#include <string>

namespace sluice::sched {
namespace {

constexpr std::uint32_t kA = 0, kB = 1, kC = 2;

/// Requests are named "<tenant letter><n>"; ids encode both.
QueuedRequest req(std::uint32_t tenant, int n, std::int64_t in = 10, std::int64_t out = 10,
                  Band band = Band::kStandard) {
  return QueuedRequest{.id = tenant * 1000u + static_cast<std::uint64_t>(n), .tenant = tenant, .band = band,
                       .input_tokens = in, .output_tokens = out};
}

std::string name(const QueuedRequest& r) {
  return std::string(1, static_cast<char>('A' + r.tenant)) + std::to_string(r.id % 1000);
}

std::string drain(FairQueue& q, int n = 1000) {
  std::string order;
  for (int i = 0; i < n; ++i) {
    auto r = q.dispatch(core::TimePoint{});
    if (!r) break;
    order += (order.empty() ? "" : " ") + name(*r);
  }
  return order;
}

TEST(SchedFairQueue, FcfsIsArrivalOrder) {
  FairQueue q({.policy = Policy::kFcfs});
  q.enqueue(req(kA, 1));
  q.enqueue(req(kB, 1));
  q.enqueue(req(kA, 2));
  q.enqueue(req(kA, 3));
  q.enqueue(req(kB, 2));
  EXPECT_EQ(drain(q), "A1 B1 A2 A3 B2");
  EXPECT_EQ(q.size(), 0u);
}

TEST(SchedFairQueue, RoundRobinTakesTurnsOverTenants) {
  FairQueue q({.policy = Policy::kRoundRobin});
  for (int i = 1; i <= 3; ++i) q.enqueue(req(kA, i));
  q.enqueue(req(kB, 1));
  q.enqueue(req(kC, 1));
  q.enqueue(req(kC, 2));
  EXPECT_EQ(drain(q), "A1 B1 C1 A2 C2 A3");
}

TEST(SchedFairQueue, VtcAlternatesBetweenEqualTenants) {
  FairQueue q;
  for (int i = 1; i <= 4; ++i) q.enqueue(req(kA, i));
  q.enqueue(req(kB, 1));
  q.enqueue(req(kB, 2));
  EXPECT_EQ(drain(q), "A1 B1 A2 B2 A3 A4");
}

TEST(SchedFairQueue, VtcChargesTokensNotRequests) {
  FairQueue q;
  // A's requests cost 3x B's: B gets three requests per one of A's.
  for (int i = 1; i <= 3; ++i) q.enqueue(req(kA, i, 30, 30));
  for (int i = 1; i <= 7; ++i) q.enqueue(req(kB, i, 10, 10));
  EXPECT_EQ(drain(q, 8), "A1 B1 B2 B3 A2 B4 B5 B6");
  EXPECT_DOUBLE_EQ(q.counter(kA), 2 * (30 + 2 * 30));
  EXPECT_DOUBLE_EQ(q.counter(kB), 6 * (10 + 2 * 10));
}

TEST(SchedFairQueue, VtcHonoursWeights) {
  FairQueue q;
  q.set_tenant(kB, {.weight = 2.0});
  for (int i = 1; i <= 4; ++i) q.enqueue(req(kA, i));
  for (int i = 1; i <= 8; ++i) q.enqueue(req(kB, i));
  // Each dispatch costs 30 weighted tokens: A's counter +30, B's +15.
  EXPECT_EQ(drain(q, 9), "A1 B1 B2 A2 B3 B4 A3 B5 B6");
  EXPECT_DOUBLE_EQ(q.counter(kA), 90);
  EXPECT_DOUBLE_EQ(q.counter(kB), 90);
}

TEST(SchedFairQueue, VtcLiftsAReturningTenantSoItCannotBankCredit) {
  FairQueue q;
  for (int i = 1; i <= 20; ++i) q.enqueue(req(kA, i));
  EXPECT_EQ(drain(q, 10), "A1 A2 A3 A4 A5 A6 A7 A8 A9 A10");
  for (int i = 1; i <= 4; ++i) q.enqueue(req(kB, i));
  EXPECT_DOUBLE_EQ(q.counter(kB), q.counter(kA));  // lifted, not 0
  EXPECT_EQ(drain(q, 6), "A11 B1 A12 B2 A13 B3");
}

TEST(SchedFairQueue, StrictPriorityBands) {
  FairQueue q;
  q.enqueue(req(kA, 1, 10, 10, Band::kBatch));
  q.enqueue(req(kB, 1, 10, 10, Band::kStandard));
  q.enqueue(req(kC, 1, 10, 10, Band::kCritical));
  q.enqueue(req(kA, 2, 10, 10, Band::kStandard));
  EXPECT_EQ(q.size(Band::kBatch), 1u);
  EXPECT_EQ(drain(q), "C1 B1 A2 A1");
}

TEST(SchedFairQueue, RemovedRequestsAreNeverDispatched) {
  FairQueue q;
  q.enqueue(req(kA, 1));
  q.enqueue(req(kA, 2));
  q.enqueue(req(kB, 1));
  EXPECT_TRUE(q.remove(req(kA, 1).id));
  EXPECT_FALSE(q.remove(req(kA, 1).id));
  EXPECT_TRUE(q.remove(req(kB, 1).id));
  EXPECT_EQ(q.size(), 1u);
  EXPECT_EQ(drain(q), "A2");
}

TEST(SchedFairQueue, StreamingOverrunIsChargedAndTheEndCorrectsTheEstimate) {
  FairQueue q;
  q.enqueue(req(kA, 1, 100, 50));
  ASSERT_TRUE(q.dispatch(core::TimePoint{}));
  EXPECT_DOUBLE_EQ(q.counter(kA), 100 + 2 * 50);  // the estimate, at dispatch
  q.on_progress(req(kA, 1).id, 40);                  // within the estimate: nothing more
  EXPECT_DOUBLE_EQ(q.counter(kA), 200);
  q.on_progress(req(kA, 1).id, 60);                  // beyond: charged as it streams
  EXPECT_DOUBLE_EQ(q.counter(kA), 100 + 2 * 60);
  q.on_complete(req(kA, 1).id, 100, 20);             // it really used less: refund
  EXPECT_DOUBLE_EQ(q.counter(kA), 100 + 2 * 20);
  q.on_complete(req(kA, 1).id, 100, 999);            // unknown by now: ignored
  EXPECT_DOUBLE_EQ(q.counter(kA), 140);
}

TEST(SchedFairQueue, RemovingAHeadRekeysItsTenant) {
  FairQueue q;  // vtc: equal counters, the earlier head goes first
  q.enqueue(req(kB, 1));
  q.enqueue(req(kA, 1));
  q.enqueue(req(kB, 2));
  EXPECT_TRUE(q.remove(req(kB, 1).id));  // B's head is now B2, which arrived after A1
  EXPECT_EQ(drain(q), "A1 B2");

  FairQueue f({.policy = Policy::kFcfs});
  f.enqueue(req(kA, 1));
  f.enqueue(req(kB, 1));
  f.enqueue(req(kC, 1));
  f.enqueue(req(kB, 2));
  EXPECT_TRUE(f.remove(req(kB, 1).id));
  EXPECT_TRUE(f.remove(req(kA, 1).id));  // A gone entirely
  EXPECT_EQ(f.size(), 2u);
  EXPECT_EQ(f.queued(kA), 0u);
  EXPECT_EQ(drain(f), "C1 B2");
}

TEST(SchedFairQueue, AgingMovesSizesAtDispatchTime) {
  using namespace std::chrono_literals;
  const core::TimePoint t0{};
  FairQueue q({.policy = Policy::kFcfs, .batch_promote_after = 10s});
  auto batch = [&](std::uint32_t tenant, int n, core::Duration at) {
    QueuedRequest r = req(tenant, n, 10, 10, Band::kBatch);
    r.enqueued = t0 + at;
    return r;
  };
  q.enqueue(batch(kA, 1, 0s));
  q.enqueue(batch(kB, 1, 5s));
  QueuedRequest critical = req(kC, 1, 10, 10, Band::kCritical);
  critical.enqueued = t0 + 6s;
  q.enqueue(critical);
  q.enqueue(req(kC, 2, 10, 10, Band::kCritical));
  EXPECT_EQ(q.size(Band::kBatch), 2u);
  // The queue is pure: nothing moves until a dispatch looks at the time.
  EXPECT_EQ(q.size(Band::kStandard), 0u);
  auto r = q.dispatch(t0 + 10s);  // A1 waited 10s: promoted; B1 5s: not
  ASSERT_TRUE(r);
  EXPECT_EQ(name(*r), "C1");  // critical still goes first
  EXPECT_EQ(q.size(Band::kCritical), 1u);
  EXPECT_EQ(q.size(Band::kStandard), 1u);
  EXPECT_EQ(q.size(Band::kBatch), 1u);
  // A promoted request can still be removed, from the band it is in now.
  EXPECT_TRUE(q.remove(req(kA, 1).id));
  EXPECT_EQ(q.size(Band::kStandard), 0u);
  r = q.dispatch(t0 + 15s);  // B1 promoted, C2 still first
  ASSERT_TRUE(r);
  EXPECT_EQ(name(*r), "C2");
  EXPECT_EQ(q.size(Band::kStandard), 1u);
  EXPECT_EQ(q.size(Band::kBatch), 0u);
  EXPECT_EQ(q.size(), 1u);
}

TEST(SchedFairQueue, ARemovedBatchRequestDoesNotHoldUpItsTenantsNextOne) {
  using namespace std::chrono_literals;
  const core::TimePoint t0{};
  FairQueue q({.policy = Policy::kFcfs, .batch_promote_after = 10s});
  QueuedRequest a1 = req(kA, 1, 10, 10, Band::kBatch), a2 = req(kA, 2, 10, 10, Band::kBatch), b1 = req(kB, 1);
  a1.enqueued = t0;
  a2.enqueued = t0 + 1s;
  b1.enqueued = t0 + 2s;
  q.enqueue(a1);
  q.enqueue(a2);
  q.enqueue(b1);
  EXPECT_TRUE(q.remove(a1.id));
  auto r = q.dispatch(t0 + 11s);  // A2 waited 10s: promoted, and it arrived before B1
  ASSERT_TRUE(r);
  EXPECT_EQ(name(*r), "A2");
}

TEST(SchedFairQueue, OverrunAndCorrectionAreDividedByTheWeight) {
  FairQueue q;
  q.set_tenant(kA, {.weight = 2.0});
  q.enqueue(req(kA, 1, 100, 50));
  ASSERT_TRUE(q.dispatch(core::TimePoint{}));
  EXPECT_DOUBLE_EQ(q.counter(kA), (100 + 2 * 50) / 2.0);
  q.on_progress(req(kA, 1).id, 60);  // 10 over: 20 weighted, 10 on the counter
  EXPECT_DOUBLE_EQ(q.counter(kA), 110);
  q.on_progress(999, 1000);  // unknown: ignored
  EXPECT_DOUBLE_EQ(q.counter(kA), 110);
  q.on_complete(req(kA, 1).id, 100, 20);  // really 140 weighted: 70
  EXPECT_DOUBLE_EQ(q.counter(kA), 70);
  EXPECT_EQ(q.running(), 0u);
  EXPECT_EQ(q.running(kA), 0);
}

TEST(SchedFairQueue, ACappedTenantIsSkippedNotBlocking) {
  FairQueue q({.policy = Policy::kFcfs});
  q.set_tenant(kA, {.cap = 1});
  q.enqueue(req(kA, 1));
  q.enqueue(req(kA, 2));
  q.enqueue(req(kB, 1));
  EXPECT_EQ(drain(q), "A1 B1");  // A2 waits for A1
  EXPECT_FALSE(q.dispatch(core::TimePoint{}));
  EXPECT_EQ(q.size(), 1u);
  q.on_complete(req(kA, 1).id, 10, 10);
  EXPECT_EQ(drain(q), "A2");
}

}  // namespace
}  // namespace sluice::sched
