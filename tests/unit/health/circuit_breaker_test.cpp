#include "sluice/health/circuit_breaker.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace sluice::health {
namespace {

TEST(HealthCircuitBreaker, DefaultsAreTheDocumentedOnes) {
  const BreakerLimits l;
  EXPECT_EQ(l.max_connections, 1024);
  EXPECT_EQ(l.max_in_flight, 1024);
  EXPECT_EQ(l.max_pending, 128);
}

TEST(HealthCircuitBreaker, LimitNames) {
  EXPECT_EQ(to_string(BreakerLimit::kConnections), "connections");
  EXPECT_EQ(to_string(BreakerLimit::kInFlight), "in_flight");
  EXPECT_EQ(to_string(BreakerLimit::kPending), "pending");
}

TEST(HealthCircuitBreaker, InFlightLimitAndOverflowCount) {
  CircuitBreaker b({.max_connections = 10, .max_in_flight = 2, .max_pending = 10});
  EXPECT_TRUE(b.try_acquire_request());
  EXPECT_FALSE(b.over_limit());
  EXPECT_TRUE(b.try_acquire_request());
  EXPECT_EQ(b.in_flight(), 2);
  EXPECT_TRUE(b.over_limit());
  EXPECT_FALSE(b.try_acquire_request());
  EXPECT_FALSE(b.try_acquire_request());
  EXPECT_EQ(b.in_flight(), 2);
  EXPECT_EQ(b.overflowed(BreakerLimit::kInFlight), 2u);
  EXPECT_EQ(b.overflowed(BreakerLimit::kConnections), 0u);
  EXPECT_EQ(b.overflowed(BreakerLimit::kPending), 0u);
  b.release_request();
  EXPECT_FALSE(b.over_limit());
  EXPECT_TRUE(b.try_acquire_request());
  EXPECT_EQ(b.overflowed(BreakerLimit::kInFlight), 2u);
}

TEST(HealthCircuitBreaker, ConnectionLimitAndOverflowCount) {
  CircuitBreaker b({.max_connections = 1, .max_in_flight = 10, .max_pending = 10});
  EXPECT_TRUE(b.try_open_connection());
  EXPECT_FALSE(b.try_open_connection());
  EXPECT_EQ(b.connections(), 1);
  EXPECT_EQ(b.overflowed(BreakerLimit::kConnections), 1u);
  // All connections taken alone does not stop requests: they may wait pending.
  EXPECT_FALSE(b.over_limit());
  b.close_connection();
  EXPECT_EQ(b.connections(), 0);
  EXPECT_TRUE(b.try_open_connection());
}

TEST(HealthCircuitBreaker, PendingLimitAndOverflowCount) {
  CircuitBreaker b({.max_connections = 10, .max_in_flight = 10, .max_pending = 1});
  EXPECT_TRUE(b.try_add_pending());
  EXPECT_FALSE(b.try_add_pending());
  EXPECT_EQ(b.pending(), 1);
  EXPECT_EQ(b.overflowed(BreakerLimit::kPending), 1u);
  EXPECT_FALSE(b.over_limit());  // connections still free
  b.remove_pending();
  EXPECT_TRUE(b.try_add_pending());
}

TEST(HealthCircuitBreaker, OverLimitWhenConnectionsAndPendingAreBothFull) {
  CircuitBreaker b({.max_connections = 1, .max_in_flight = 10, .max_pending = 1});
  ASSERT_TRUE(b.try_open_connection());
  EXPECT_FALSE(b.over_limit());
  ASSERT_TRUE(b.try_add_pending());
  EXPECT_TRUE(b.over_limit());
  b.remove_pending();
  EXPECT_FALSE(b.over_limit());
}

TEST(HealthCircuitBreaker, ZeroLimitsRefuseEverything) {
  CircuitBreaker b({.max_connections = 0, .max_in_flight = 0, .max_pending = 0});
  EXPECT_TRUE(b.over_limit());
  EXPECT_FALSE(b.try_acquire_request());
  EXPECT_FALSE(b.try_open_connection());
  EXPECT_FALSE(b.try_add_pending());
  EXPECT_EQ(b.overflowed(BreakerLimit::kInFlight), 1u);
  EXPECT_EQ(b.overflowed(BreakerLimit::kConnections), 1u);
  EXPECT_EQ(b.overflowed(BreakerLimit::kPending), 1u);
}

TEST(HealthCircuitBreaker, AllOverLimitFailsFast) {
  CircuitBreaker a({.max_connections = 10, .max_in_flight = 1, .max_pending = 10});
  CircuitBreaker b({.max_connections = 10, .max_in_flight = 1, .max_pending = 10});
  const std::vector<const CircuitBreaker*> pool{&a, &b};
  EXPECT_FALSE(all_over_limit(pool));
  ASSERT_TRUE(a.try_acquire_request());
  EXPECT_FALSE(all_over_limit(pool));  // b is skipped to, not failed
  ASSERT_TRUE(b.try_acquire_request());
  EXPECT_TRUE(all_over_limit(pool));
  b.release_request();
  EXPECT_FALSE(all_over_limit(pool));
  EXPECT_TRUE(all_over_limit({}));
}

TEST(HealthCircuitBreaker, FailFastIsA503) {
  const core::Error e = breaker_fail_fast_error("llama");
  EXPECT_EQ(e.code, core::ErrorCode::kNoInstance);
  EXPECT_EQ(core::http_status(e.code), 503);
  EXPECT_NE(e.message.find("'llama'"), std::string::npos);
}

TEST(HealthCircuitBreaker, RacingThreadsNeverExceedTheLimit) {
  CircuitBreaker b({.max_connections = 10, .max_in_flight = 100, .max_pending = 10});
  constexpr int kThreads = 4;
  constexpr int kTries = 1000;
  std::vector<int> taken(kThreads, 0);
  {
    std::vector<std::jthread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&b, &taken, t] {
        for (int k = 0; k < kTries; ++k) taken[t] += b.try_acquire_request() ? 1 : 0;
      });
    }
  }
  int total = 0;
  for (int n : taken) total += n;
  EXPECT_EQ(total, 100);
  EXPECT_EQ(b.in_flight(), 100);
  EXPECT_EQ(b.overflowed(BreakerLimit::kInFlight), static_cast<std::uint64_t>(kThreads * kTries - 100));
}

}  // namespace
}  // namespace sluice::health
