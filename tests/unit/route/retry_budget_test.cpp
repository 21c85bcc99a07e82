#include "sluice/route/retry_budget.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace sluice::route {
namespace {

void start_requests(RetryBudget& b, int n) {
  for (int i = 0; i < n; ++i) b.request_started();
}

TEST(RetryBudget, DefaultsAreEnvoys) {
  const config::RetryPolicy p;
  EXPECT_EQ(p.budget_percent, 20u);
  EXPECT_EQ(p.min_retry_concurrency, 3u);
}

TEST(RetryBudget, NoActiveRequestsAllowsMinRetryConcurrency) {
  const config::RetryPolicy p;
  RetryBudget b;
  EXPECT_TRUE(b.try_start_retry(p));
  EXPECT_TRUE(b.try_start_retry(p));
  EXPECT_TRUE(b.try_start_retry(p));
  EXPECT_FALSE(b.try_start_retry(p));
  EXPECT_EQ(b.retries_in_flight(), 3);
  EXPECT_EQ(b.refused(), 1u);
}

TEST(RetryBudget, HundredActiveAtTwentyPercentAllowsTwenty) {
  const config::RetryPolicy p;
  RetryBudget b;
  start_requests(b, 100);
  EXPECT_EQ(b.active(), 100);
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(b.try_start_retry(p)) << i;
  EXPECT_EQ(b.retries_in_flight(), 20);
  EXPECT_EQ(b.refused(), 0u);
  EXPECT_FALSE(b.try_start_retry(p));
  EXPECT_EQ(b.refused(), 1u);
  EXPECT_EQ(b.retries_in_flight(), 20);
  b.retry_finished();
  EXPECT_EQ(b.retries_in_flight(), 19);
  EXPECT_TRUE(b.try_start_retry(p));
  EXPECT_FALSE(b.try_start_retry(p));
  EXPECT_EQ(b.refused(), 2u);
}

TEST(RetryBudget, FewerActiveRequestsLowerTheLimit) {
  const config::RetryPolicy p;
  RetryBudget b;
  start_requests(b, 100);
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(b.try_start_retry(p));
  for (int i = 0; i < 60; ++i) b.request_finished();
  EXPECT_EQ(b.active(), 40);  // limit now 8, and 10 are in flight
  EXPECT_FALSE(b.try_start_retry(p));
  b.retry_finished();
  b.retry_finished();
  EXPECT_FALSE(b.try_start_retry(p));  // 8 in flight: at the limit
  b.retry_finished();
  EXPECT_EQ(b.retries_in_flight(), 7);
  EXPECT_TRUE(b.try_start_retry(p));  // the 8th
  EXPECT_FALSE(b.try_start_retry(p));
  EXPECT_EQ(b.refused(), 3u);
}

TEST(RetryBudget, FractionalLimitIsNotRoundedDown) {
  config::RetryPolicy p;
  p.min_retry_concurrency = 0;
  // 7 active × 20% = 1.4: a second retry is allowed (1 < 1.4), a third not.
  EXPECT_TRUE(RetryBudget::allows(p, 7, 0));
  EXPECT_TRUE(RetryBudget::allows(p, 7, 1));
  EXPECT_FALSE(RetryBudget::allows(p, 7, 2));
  EXPECT_FALSE(RetryBudget::allows(p, 0, 0));
  p.budget_percent = 0;
  EXPECT_FALSE(RetryBudget::allows(p, 1000, 0));
  p.min_retry_concurrency = 1;
  EXPECT_TRUE(RetryBudget::allows(p, 1000, 0));
  EXPECT_FALSE(RetryBudget::allows(p, 1000, 1));
}

TEST(RetryBudget, LimitHoldsUnderRacingThreads) {
  const config::RetryPolicy p;
  RetryBudget b;
  start_requests(b, 100);
  constexpr int kThreads = 8;
  constexpr int kTries = 2000;
  std::atomic<int> granted{0};
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      while (!go.load()) std::this_thread::yield();
      for (int i = 0; i < kTries; ++i) {
        if (b.try_start_retry(p)) granted.fetch_add(1);
      }
    });
  }
  go.store(true);
  for (auto& th : threads) th.join();
  EXPECT_EQ(granted.load(), 20);
  EXPECT_EQ(b.retries_in_flight(), 20);
  EXPECT_EQ(b.refused(), static_cast<std::uint64_t>(kThreads * kTries - 20));
}

}  // namespace
}  // namespace sluice::route
