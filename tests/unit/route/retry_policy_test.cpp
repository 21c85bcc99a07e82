#include "sluice/route/retry_policy.h"

#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <string>

namespace sluice::route {
namespace {

using namespace std::chrono_literals;

config::RetryPolicy only(std::uint32_t retry_on, std::vector<int> codes = {429}) {
  config::RetryPolicy p;
  p.retry_on = retry_on;
  p.retriable_status_codes = std::move(codes);
  return p;
}

TryResult no_answer(TryFailure f) { return {f, 0}; }

// One row per outcome of a try; one column per retry_on condition alone
// (retriable_status_codes = [429]).
struct Row {
  std::string name;
  TryResult result;
  std::array<bool, 6> retried;  // connect_failure, refused, reset, 5xx, gateway_error, status codes
};

TEST(RetryPolicy, EachConditionAgainstEachOutcome) {
  const std::array<std::uint32_t, 6> conditions = {config::kRetryConnectFailure, config::kRetryRefused,
                                                   config::kRetryReset,          config::kRetry5xx,
                                                   config::kRetryGatewayError,   config::kRetryStatusCodes};
  const std::array<const char*, 6> condition_names = {"connect_failure", "refused", "reset",
                                                      "5xx", "gateway_error", "status_codes"};
  const Row rows[] = {
      {"connect failure", no_answer(TryFailure::kConnectFailure), {true, false, false, true, true, false}},
      {"refused", no_answer(TryFailure::kRefused), {true, true, false, true, true, false}},
      {"reset", no_answer(TryFailure::kReset), {false, false, true, true, true, false}},
      {"per-try timeout", no_answer(TryFailure::kPerTryTimeout), {false, false, true, true, true, false}},
      {"500", TryResult::answer(500), {false, false, false, true, false, false}},
      {"501", TryResult::answer(501), {false, false, false, true, false, false}},
      {"502", TryResult::answer(502), {false, false, false, true, true, false}},
      {"503", TryResult::answer(503), {false, false, false, true, true, false}},
      {"504", TryResult::answer(504), {false, false, false, true, true, false}},
      {"505", TryResult::answer(505), {false, false, false, true, false, false}},
      {"429 (listed)", TryResult::answer(429), {false, false, false, false, false, true}},
      {"404", TryResult::answer(404), {false, false, false, false, false, false}},
      {"200", TryResult::answer(200), {false, false, false, false, false, false}},
  };
  for (const Row& row : rows) {
    for (std::size_t c = 0; c < conditions.size(); ++c) {
      EXPECT_EQ(retriable(only(conditions[c]), row.result), row.retried[c])
          << row.name << " under " << condition_names[c];
    }
    // No condition: nothing is retried.
    EXPECT_FALSE(retriable(only(0), row.result)) << row.name;
  }
}

TEST(RetryPolicy, StatusCodesUseTheList) {
  const config::RetryPolicy p = only(config::kRetryStatusCodes, {503});
  EXPECT_TRUE(retriable(p, TryResult::answer(503)));
  EXPECT_FALSE(retriable(p, TryResult::answer(502)));
  EXPECT_FALSE(retriable(p, TryResult::answer(429)));
  EXPECT_FALSE(retriable(p, no_answer(TryFailure::kConnectFailure)));
  // A listed status is not retried while the condition is off.
  EXPECT_FALSE(retriable(only(config::kRetryReset, {429}), TryResult::answer(429)));
}

TEST(RetryPolicy, TwoxxAndFourxxAreNeverRetriedUnlessListed) {
  const config::RetryPolicy all = only(config::kRetryConnectFailure | config::kRetryRefused | config::kRetryReset |
                                           config::kRetry5xx | config::kRetryGatewayError |
                                           config::kRetryStatusCodes,
                                       {503});
  for (const int status : {200, 201, 400, 404, 409, 429, 499}) {
    EXPECT_FALSE(retriable(all, TryResult::answer(status))) << status;
  }
}

TEST(RetryPolicy, DefaultPolicy) {
  const config::RetryPolicy p;
  EXPECT_EQ(p.retries, 2u);
  EXPECT_TRUE(retriable(p, no_answer(TryFailure::kConnectFailure)));
  EXPECT_TRUE(retriable(p, no_answer(TryFailure::kRefused)));
  EXPECT_TRUE(retriable(p, no_answer(TryFailure::kReset)));
  EXPECT_TRUE(retriable(p, no_answer(TryFailure::kPerTryTimeout)));
  EXPECT_TRUE(retriable(p, TryResult::answer(503)));
  EXPECT_TRUE(retriable(p, TryResult::answer(502)));
  EXPECT_TRUE(retriable(p, TryResult::answer(500)));  // 5xx is in by default
  EXPECT_FALSE(retriable(p, TryResult::answer(429)));
  EXPECT_FALSE(retriable(p, TryResult::answer(400)));
}

TEST(RetryPolicy, AnswerClassifiesByStatus) {
  EXPECT_EQ(TryResult::answer(503).failure, TryFailure::kStatus);
  EXPECT_EQ(TryResult::answer(500).failure, TryFailure::kStatus);
  EXPECT_EQ(TryResult::answer(499).failure, TryFailure::kNone);
  EXPECT_EQ(TryResult::answer(200).failure, TryFailure::kNone);
  EXPECT_EQ(TryResult::answer(503).status, 503);
  EXPECT_TRUE(TryResult::answer(200).answered());
  EXPECT_TRUE(TryResult::answer(503).answered());
  EXPECT_FALSE(no_answer(TryFailure::kReset).answered());
}

TEST(RetryPolicy, FailureNames) {
  EXPECT_EQ(to_string(TryFailure::kNone), "none");
  EXPECT_EQ(to_string(TryFailure::kConnectFailure), "connect_failure");
  EXPECT_EQ(to_string(TryFailure::kRefused), "refused");
  EXPECT_EQ(to_string(TryFailure::kReset), "reset");
  EXPECT_EQ(to_string(TryFailure::kPerTryTimeout), "per_try_timeout");
  EXPECT_EQ(to_string(TryFailure::kStatus), "status");
}

TEST(RetryPolicy, ReasonLabelsAreBounded) {
  EXPECT_EQ(reason_label(no_answer(TryFailure::kConnectFailure)), "connect_failure");
  EXPECT_EQ(reason_label(no_answer(TryFailure::kPerTryTimeout)), "per_try_timeout");
  EXPECT_EQ(reason_label(TryResult::answer(502)), "status_502");
  EXPECT_EQ(reason_label(TryResult::answer(503)), "status_503");
  EXPECT_EQ(reason_label(TryResult::answer(504)), "status_504");
  EXPECT_EQ(reason_label(TryResult::answer(500)), "5xx");
  EXPECT_EQ(reason_label(TryResult::answer(599)), "5xx");
  EXPECT_EQ(reason_label(TryResult::answer(429)), "4xx");
  EXPECT_EQ(reason_label(TryResult::answer(200)), "other");
}

TEST(RetryShouldRetry, RetriableResultWithRoomIsRetried) {
  const config::RetryPolicy p;  // 2 retries
  EXPECT_TRUE(should_retry(p, TryResult::answer(503), 0, false, 1s, 10s));
  EXPECT_TRUE(should_retry(p, TryResult::answer(503), 1, false, 1s, 10s));
}

TEST(RetryShouldRetry, NotRetriableIsNotRetried) {
  const config::RetryPolicy p;
  EXPECT_FALSE(should_retry(p, TryResult::answer(429), 0, false, 1s, 10s));
  EXPECT_FALSE(should_retry(p, TryResult::answer(200), 0, false, 1s, 10s));
}

TEST(RetryShouldRetry, NeverOnceTheResponseStarted) {
  const config::RetryPolicy p;
  EXPECT_FALSE(should_retry(p, no_answer(TryFailure::kReset), 0, true, 1s, 10s));
}

TEST(RetryShouldRetry, NeverAtTheRetryLimit) {
  config::RetryPolicy p;
  p.retries = 2;
  EXPECT_FALSE(should_retry(p, TryResult::answer(503), 2, false, 1s, 10s));
  EXPECT_FALSE(should_retry(p, TryResult::answer(503), 3, false, 1s, 10s));
  p.retries = 0;
  EXPECT_FALSE(should_retry(p, TryResult::answer(503), 0, false, 1s, 10s));
}

TEST(RetryShouldRetry, NeverOnceTheTotalTimeIsUsedUp) {
  const config::RetryPolicy p;
  EXPECT_TRUE(should_retry(p, TryResult::answer(503), 0, false, 10s - 1ns, 10s));
  EXPECT_FALSE(should_retry(p, TryResult::answer(503), 0, false, 10s, 10s));
  EXPECT_FALSE(should_retry(p, TryResult::answer(503), 0, false, 11s, 10s));
}

TEST(RetryShouldRetry, ZeroTotalTimeoutMeansNoLimit) {
  const config::RetryPolicy p;
  EXPECT_TRUE(should_retry(p, TryResult::answer(503), 0, false, std::chrono::hours(24), core::Duration::zero()));
}

TEST(RetryBackoff, BoundsAndCapForTheFirstFortyRetries) {
  const config::RetryPolicy p;  // 25ms base, 250ms max
  const double just_below_one = std::nextafter(1.0, 0.0);
  core::Duration previous_cap{};
  for (std::uint32_t n = 1; n <= 40; ++n) {
    const core::Duration expected_cap = n == 1 ? 25ms : n == 2 ? 50ms : n == 3 ? 100ms : n == 4 ? 200ms : 250ms;
    EXPECT_EQ(backoff_cap(p, n), expected_cap) << n;
    EXPECT_EQ(backoff(p, n, 0.0), core::Duration::zero()) << n;
    EXPECT_EQ(backoff(p, n, 0.5), expected_cap / 2) << n;
    const core::Duration top = backoff(p, n, just_below_one);
    EXPECT_LE(top, expected_cap) << n;
    EXPECT_GE(top, expected_cap - 1us) << n;
    EXPECT_GE(backoff_cap(p, n), previous_cap) << n;
    previous_cap = backoff_cap(p, n);
  }
}

TEST(RetryBackoff, NoOverflowForHugeRetryNumbersOrBounds) {
  config::RetryPolicy p;
  p.backoff_base = 1ns;
  p.backoff_max = core::Duration::max();
  EXPECT_EQ(backoff_cap(p, 40), core::Duration(std::int64_t{1} << 39));
  EXPECT_EQ(backoff_cap(p, 63), core::Duration(std::int64_t{1} << 62));
  EXPECT_EQ(backoff_cap(p, 64), core::Duration::max());
  EXPECT_EQ(backoff_cap(p, 4'000'000'000u), core::Duration::max());
  EXPECT_GT(backoff(p, 4'000'000'000u, 0.5), core::Duration::zero());
  EXPECT_LE(backoff(p, 64, std::nextafter(1.0, 0.0)), core::Duration::max());
  EXPECT_GT(backoff(p, 64, std::nextafter(1.0, 0.0)), core::Duration::max() / 2);
  const config::RetryPolicy d;
  EXPECT_EQ(backoff_cap(d, 4'000'000'000u), 250ms);
}

TEST(RetryBackoff, ZeroBoundsAndRetryNumberZero) {
  config::RetryPolicy p;
  p.backoff_base = core::Duration::zero();
  EXPECT_EQ(backoff_cap(p, 4'000'000'000u), core::Duration::zero());
  EXPECT_EQ(backoff(p, 3, 0.9), core::Duration::zero());
  config::RetryPolicy q;
  q.backoff_max = core::Duration::zero();
  EXPECT_EQ(backoff(q, 3, 0.9), core::Duration::zero());
  const config::RetryPolicy d;
  EXPECT_EQ(backoff_cap(d, 0), 25ms);  // 0 is taken as the first retry
}

TEST(RetryBackoff, MaxBelowBaseCapsAtMax) {
  config::RetryPolicy p;
  p.backoff_base = 1s;
  p.backoff_max = 100ms;
  EXPECT_EQ(backoff_cap(p, 1), 100ms);
  EXPECT_EQ(backoff(p, 1, 0.5), 50ms);
}

TEST(RetryBackoff, DrawsOutsideTheUnitIntervalAreClamped) {
  const config::RetryPolicy p;
  EXPECT_EQ(backoff(p, 1, -0.5), core::Duration::zero());
  EXPECT_EQ(backoff(p, 1, 2.0), 25ms);
  EXPECT_EQ(backoff(p, 1, std::nan("")), core::Duration::zero());
}

}  // namespace
}  // namespace sluice::route
