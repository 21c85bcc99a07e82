#include "sluice/tenancy/quota_ledger.h"

#include <gtest/gtest.h>

#include <string>

namespace sluice::tenancy {
namespace {

using namespace std::chrono_literals;

const core::TimePoint t0 = core::TimePoint{} + 1000s;
constexpr std::size_t kAcme = 0, kGlobex = 1;
constexpr std::size_t kSmall = 0, kBig = 1;

/// Two tenants, two models. Limits that are multiples of 60 refill at whole
/// tokens per second, so the values below are exact.
config::Config make_config(const config::TenantLimits& acme, const config::TenantLimits* acme_big = nullptr) {
  config::Config cfg;
  config::Tenant a;
  a.id = "acme";
  a.limits = acme;
  if (acme_big) a.model_limits.push_back({"big", *acme_big});
  config::Tenant g;
  g.id = "globex";
  cfg.tenants = {a, g};
  config::Model small;
  small.name = "small";
  config::Model big;
  big.name = "big";
  cfg.models = {small, big};
  return cfg;
}

config::TenantLimits limits(std::optional<std::int64_t> rpm, std::optional<std::int64_t> tpm,
                            std::optional<std::int64_t> max_concurrency = std::nullopt) {
  config::TenantLimits l;
  l.rpm = rpm;
  l.tpm = tpm;
  l.max_concurrency = max_concurrency;
  return l;
}

/// A wait is never short and at most a nanosecond long (the bucket rounds up).
void expect_wait(core::Duration actual, core::Duration exact) {
  EXPECT_GE(actual, exact);
  EXPECT_LE(actual, exact + 1ns);
}

TEST(TenancyQuotaLedger, RequestsPerMinuteRefusalSaysWhenToRetry) {
  QuotaLedger ledger(make_config(limits(60, std::nullopt)), t0);  // 1 request back per second
  for (int i = 0; i < 60; ++i) ASSERT_TRUE(ledger.admit(kAcme, kSmall, 10, t0).admitted()) << i;
  const AdmitDecision d = ledger.admit(kAcme, kSmall, 10, t0);
  EXPECT_EQ(d.refusal, Refusal::kRequests);
  EXPECT_EQ(to_string(d.refusal), "requests");
  expect_wait(d.retry_after, 1s);
  EXPECT_NE(d.message.find("requests per minute"), std::string::npos) << d.message;
  EXPECT_EQ(d.reserved_tokens, 0);
  EXPECT_EQ(ledger.in_flight(kAcme), 60);  // the refusal is not in flight
  EXPECT_FALSE(ledger.admit(kAcme, kSmall, 10, t0 + 999ms).admitted());
  EXPECT_TRUE(ledger.admit(kAcme, kSmall, 10, t0 + 1s).admitted());
  // Another tenant is not affected.
  EXPECT_TRUE(ledger.admit(kGlobex, kSmall, 10, t0).admitted());
}

TEST(TenancyQuotaLedger, TokensPerMinuteRefusalSaysWhenToRetry) {
  QuotaLedger ledger(make_config(limits(std::nullopt, 600)), t0);  // 10 tokens back per second
  const AdmitDecision first = ledger.admit(kAcme, kSmall, 500, t0);
  ASSERT_TRUE(first.admitted());
  EXPECT_EQ(first.reserved_tokens, 500);
  const AdmitDecision d = ledger.admit(kAcme, kSmall, 200, t0);  // 100 there, 100 short
  EXPECT_EQ(d.refusal, Refusal::kTokens);
  EXPECT_EQ(to_string(d.refusal), "tokens");
  expect_wait(d.retry_after, 10s);
  EXPECT_NE(d.message.find("tokens per minute"), std::string::npos) << d.message;
  EXPECT_EQ(d.status.remaining_tokens, 100);  // nothing taken by the refusal
  EXPECT_TRUE(ledger.admit(kAcme, kSmall, 100, t0).admitted());
}

TEST(TenancyQuotaLedger, WhenBothBucketsAreShortTheLongerWaitNamesTheRefusal) {
  {
    // rpm 60 (1/s), tpm 60 (1/s): a request is there, 30 tokens are 30s away.
    QuotaLedger ledger(make_config(limits(60, 60)), t0);
    ASSERT_TRUE(ledger.admit(kAcme, kSmall, 60, t0).admitted());
    const AdmitDecision d = ledger.admit(kAcme, kSmall, 30, t0);
    EXPECT_EQ(d.refusal, Refusal::kTokens);
    expect_wait(d.retry_after, 30s);
  }
  {
    // rpm 1 (one a minute), tpm 60: tokens are 30s away, the request 60s.
    QuotaLedger ledger(make_config(limits(1, 60)), t0);
    ASSERT_TRUE(ledger.admit(kAcme, kSmall, 60, t0).admitted());
    const AdmitDecision d = ledger.admit(kAcme, kSmall, 30, t0);
    EXPECT_EQ(d.refusal, Refusal::kRequests);
    expect_wait(d.retry_after, 60s);
  }
}

TEST(TenancyQuotaLedger, TooLargeIsRefusedWithoutARetryAndTakesNothing) {
  QuotaLedger ledger(make_config(limits(60, 600)), t0);
  const AdmitDecision d = ledger.admit(kAcme, kSmall, 601, t0);
  EXPECT_EQ(d.refusal, Refusal::kTooLarge);
  EXPECT_EQ(to_string(d.refusal), "too_large");
  EXPECT_EQ(d.retry_after, core::Duration::zero());
  EXPECT_NE(d.message.find("601"), std::string::npos) << d.message;
  EXPECT_NE(d.message.find("600"), std::string::npos) << d.message;
  EXPECT_EQ(d.status.remaining_requests, 60);
  EXPECT_EQ(d.status.remaining_tokens, 600);
  EXPECT_EQ(ledger.in_flight(kAcme), 0);
  // Exactly the limit fits; after it, the same 601 is still too_large, not tokens.
  EXPECT_TRUE(ledger.admit(kAcme, kSmall, 600, t0).admitted());
  EXPECT_EQ(ledger.admit(kAcme, kSmall, 601, t0).refusal, Refusal::kTooLarge);
  EXPECT_EQ(ledger.admit(kAcme, kSmall, 1, t0).refusal, Refusal::kTokens);
}

TEST(TenancyQuotaLedger, TooLargeComesBeforeEveryRefusalThatWaitingCouldLift) {
  // A request that can never pass is refused as such (a 400 for the
  // gateway), even while the tenant is at its concurrency limit or out of
  // requests: a 429 would be retried, and would fail again.
  QuotaLedger ledger(make_config(limits(1, 600, 1)), t0);
  ASSERT_TRUE(ledger.admit(kAcme, kSmall, 10, t0).admitted());  // uses the one request and the one slot
  EXPECT_EQ(ledger.admit(kAcme, kSmall, 10, t0).refusal, Refusal::kConcurrency);
  EXPECT_EQ(ledger.admit(kAcme, kSmall, 601, t0).refusal, Refusal::kTooLarge);
  ledger.finish(kAcme, kSmall, 10, 10, t0);
  EXPECT_EQ(ledger.admit(kAcme, kSmall, 10, t0).refusal, Refusal::kRequests);
  EXPECT_EQ(ledger.admit(kAcme, kSmall, 601, t0).refusal, Refusal::kTooLarge);
}

TEST(TenancyQuotaLedger, TooLargeForAModelSaysSo) {
  const auto big = limits(std::nullopt, 120);
  QuotaLedger ledger(make_config(limits(std::nullopt, 6000), &big), t0);
  const AdmitDecision d = ledger.admit(kAcme, kBig, 121, t0);
  EXPECT_EQ(d.refusal, Refusal::kTooLarge);
  EXPECT_EQ(d.retry_after, core::Duration::zero());
  EXPECT_NE(d.message.find("for this model"), std::string::npos) << d.message;
  EXPECT_TRUE(ledger.admit(kAcme, kSmall, 121, t0).admitted());  // the tenant-wide limit is larger
}

TEST(TenancyQuotaLedger, ConcurrencyCountsAdmittedUnfinishedRequests) {
  QuotaLedger ledger(make_config(limits(60, std::nullopt, 2)), t0);
  ASSERT_TRUE(ledger.admit(kAcme, kSmall, 10, t0).admitted());
  ASSERT_TRUE(ledger.admit(kAcme, kSmall, 10, t0).admitted());
  EXPECT_EQ(ledger.in_flight(kAcme), 2);
  const AdmitDecision d = ledger.admit(kAcme, kSmall, 10, t0);
  EXPECT_EQ(d.refusal, Refusal::kConcurrency);
  EXPECT_EQ(to_string(d.refusal), "concurrency");
  EXPECT_EQ(d.retry_after, 1s);
  EXPECT_NE(d.message.find("2 in flight"), std::string::npos) << d.message;
  EXPECT_EQ(d.status.remaining_requests, 58);  // the refusal took no request
  EXPECT_EQ(ledger.in_flight(kAcme), 2);
  ledger.finish(kAcme, kSmall, 10, 10, t0);
  EXPECT_EQ(ledger.in_flight(kAcme), 1);
  EXPECT_TRUE(ledger.admit(kAcme, kSmall, 10, t0).admitted());
  EXPECT_EQ(ledger.in_flight(kAcme), 2);
  ledger.finish(kAcme, kSmall, 10, 0, t0);
  ledger.finish(kAcme, kSmall, 10, 0, t0);
  EXPECT_EQ(ledger.in_flight(kAcme), 0);
  ledger.finish(kAcme, kSmall, 10, 0, t0);  // one finish too many: stays at 0
  EXPECT_EQ(ledger.in_flight(kAcme), 0);
}

TEST(TenancyQuotaLedger, ConcurrencyPerModel) {
  const auto big = limits(std::nullopt, std::nullopt, 1);
  QuotaLedger ledger(make_config(limits(std::nullopt, std::nullopt, 3), &big), t0);
  ASSERT_TRUE(ledger.admit(kAcme, kBig, 10, t0).admitted());
  const AdmitDecision d = ledger.admit(kAcme, kBig, 10, t0);
  EXPECT_EQ(d.refusal, Refusal::kConcurrency);
  EXPECT_NE(d.message.find("for this model"), std::string::npos) << d.message;
  EXPECT_TRUE(ledger.admit(kAcme, kSmall, 10, t0).admitted());
  EXPECT_TRUE(ledger.admit(kAcme, kSmall, 10, t0).admitted());
  EXPECT_EQ(ledger.in_flight(kAcme), 3);  // all models
  EXPECT_EQ(ledger.admit(kAcme, kSmall, 10, t0).refusal, Refusal::kConcurrency);  // tenant-wide 3
  ledger.finish(kAcme, kBig, 10, 10, t0);  // frees both scopes
  EXPECT_EQ(ledger.in_flight(kAcme), 2);
  EXPECT_TRUE(ledger.admit(kAcme, kBig, 10, t0).admitted());
}

TEST(TenancyQuotaLedger, FinishGivesBackUnusedTokensAndTakesOverruns) {
  QuotaLedger ledger(make_config(limits(std::nullopt, 600)), t0);  // 10 per second
  const AdmitDecision a = ledger.admit(kAcme, kSmall, 300, t0);
  ASSERT_TRUE(a.admitted());
  EXPECT_EQ(a.status.remaining_tokens, 300);
  ledger.finish(kAcme, kSmall, a.reserved_tokens, 100, t0);  // 200 back
  EXPECT_EQ(ledger.status(kAcme, kSmall, t0).remaining_tokens, 500);

  ASSERT_TRUE(ledger.admit(kAcme, kSmall, 400, t0).admitted());  // 100 left
  ledger.finish(kAcme, kSmall, 400, 700, t0);                    // 300 more: -200
  const RateLimitStatus s = ledger.status(kAcme, kSmall, t0);
  EXPECT_EQ(s.remaining_tokens, 0);  // never shown below zero
  expect_wait(s.reset_tokens, 80s);  // 800 to refill at 10/s
  const AdmitDecision d = ledger.admit(kAcme, kSmall, 10, t0);
  EXPECT_EQ(d.refusal, Refusal::kTokens);
  expect_wait(d.retry_after, 21s);  // from -200 to 10
  EXPECT_TRUE(ledger.admit(kAcme, kSmall, 10, t0 + 21s).admitted());

  // A refund never lifts the bucket above its limit.
  QuotaLedger full(make_config(limits(std::nullopt, 600)), t0);
  ASSERT_TRUE(full.admit(kAcme, kSmall, 300, t0).admitted());
  full.finish(kAcme, kSmall, 300, 0, t0 + 30s);  // 300 + 300 refilled + 300 back
  EXPECT_EQ(full.status(kAcme, kSmall, t0 + 30s).remaining_tokens, 600);
}

TEST(TenancyQuotaLedger, StatusReportsTheTightestScope) {
  // Tenant: 600 rpm (10/s), 12000 tpm (200/s). Model big: 60 rpm (1/s), 60000 tpm (1000/s).
  const auto big = limits(60, 60000);
  QuotaLedger ledger(make_config(limits(600, 12000), &big), t0);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(ledger.admit(kAcme, kBig, 100, t0).admitted());
  const RateLimitStatus s = ledger.status(kAcme, kBig, t0);
  // Requests: tenant 595 left, big 55: big is tighter.
  ASSERT_TRUE(s.limit_requests);
  EXPECT_EQ(*s.limit_requests, 60);
  EXPECT_EQ(s.remaining_requests, 55);
  expect_wait(s.reset_requests, 5s);
  // Tokens: tenant 11500 left, big 59500: the tenant is tighter.
  ASSERT_TRUE(s.limit_tokens);
  EXPECT_EQ(*s.limit_tokens, 12000);
  EXPECT_EQ(s.remaining_tokens, 11500);
  expect_wait(s.reset_tokens, 2500ms);

  // For another model only the tenant's scope applies.
  const RateLimitStatus small = ledger.status(kAcme, kSmall, t0);
  EXPECT_EQ(*small.limit_requests, 600);
  EXPECT_EQ(small.remaining_requests, 595);
  expect_wait(small.reset_requests, 500ms);
  EXPECT_EQ(*small.limit_tokens, 12000);
  EXPECT_EQ(small.remaining_tokens, 11500);

  // The admit decision carries the same status, after its own take.
  const AdmitDecision d = ledger.admit(kAcme, kBig, 100, t0);
  EXPECT_EQ(d.status.remaining_requests, 54);
  EXPECT_EQ(d.status.remaining_tokens, 11400);
}

TEST(TenancyQuotaLedger, StatusFloorsPartialTokens) {
  QuotaLedger ledger(make_config(limits(60, std::nullopt)), t0);
  for (int i = 0; i < 60; ++i) ASSERT_TRUE(ledger.admit(kAcme, kSmall, 1, t0).admitted());
  EXPECT_EQ(ledger.status(kAcme, kSmall, t0 + 1500ms).remaining_requests, 1);  // 1.5 there
  EXPECT_EQ(ledger.status(kAcme, kSmall, t0 + 2s).remaining_requests, 2);
}

TEST(TenancyQuotaLedger, NoLimitsMeansNoStatusAndEverythingAdmitted) {
  QuotaLedger ledger(make_config(limits(std::nullopt, std::nullopt)), t0);
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(ledger.admit(kAcme, kSmall, 1'000'000, t0).admitted());
  const RateLimitStatus s = ledger.status(kAcme, kSmall, t0);
  EXPECT_FALSE(s.limit_requests);
  EXPECT_FALSE(s.limit_tokens);
  EXPECT_EQ(ledger.in_flight(kAcme), 1000);
  // An unknown tenant index is admitted as well (nothing to enforce).
  EXPECT_TRUE(ledger.admit(7, kSmall, 1'000'000, t0).admitted());
  EXPECT_EQ(ledger.in_flight(7), 0);
}

TEST(TenancyFormatReset, OpenAiStyle) {
  EXPECT_EQ(format_reset(core::Duration::zero()), "0s");
  EXPECT_EQ(format_reset(-5s), "0s");
  EXPECT_EQ(format_reset(20ms), "20ms");
  EXPECT_EQ(format_reset(19200us), "20ms");  // rounded up: never too early
  EXPECT_EQ(format_reset(1ns), "1ms");
  EXPECT_EQ(format_reset(1s), "1s");
  EXPECT_EQ(format_reset(1500ms), "1.5s");
  EXPECT_EQ(format_reset(1250ms), "1.25s");
  EXPECT_EQ(format_reset(59500ms), "59.5s");
  EXPECT_EQ(format_reset(6min), "6m0s");
  EXPECT_EQ(format_reset(90s), "1m30s");
}

// Known bug (reported, not fixed here): TokenBucket::time_until adds 1ns to
// every wait and format_reset rounds waits of a minute or more up to whole
// seconds, so an empty 60 rpm bucket, full again in exactly 60s, reads
// "1m1s". Enable once fixed: --gtest_also_run_disabled_tests.
TEST(TenancyFormatReset, AnEmptyBucketIsFullAgainInExactlyAMinute) {
  QuotaLedger ledger(make_config(limits(60, 6000)), t0);
  ASSERT_TRUE(ledger.admit(kAcme, kSmall, 6000, t0).admitted());
  for (int i = 1; i < 60; ++i) ASSERT_TRUE(ledger.admit(kAcme, kSmall, 0, t0).admitted());
  const RateLimitStatus s = ledger.status(kAcme, kSmall, t0);
  EXPECT_EQ(s.remaining_requests, 0);
  EXPECT_EQ(s.remaining_tokens, 0);
  EXPECT_EQ(format_reset(s.reset_requests), "1m0s");
  EXPECT_EQ(format_reset(s.reset_tokens), "1m0s");
}

TEST(TenancyQuotaLedger, AReloadedLedgerKeepsTheStateOfTenantsThatStay) {
  QuotaLedger old_ledger(make_config(limits(60, std::nullopt, 2)), t0);
  ASSERT_TRUE(old_ledger.admit(kAcme, kSmall, 10, t0).admitted());
  ASSERT_TRUE(old_ledger.admit(kAcme, kSmall, 10, t0).admitted());
  EXPECT_FALSE(old_ledger.admit(kAcme, kSmall, 10, t0).admitted());  // max_concurrency 2

  // The new config raises acme's rpm, puts globex first and adds initech.
  config::Config next = make_config(limits(120, std::nullopt, 3));
  config::Tenant initech;
  initech.id = "initech";
  initech.limits = limits(1, std::nullopt);
  next.tenants = {next.tenants[1], next.tenants[0], initech};
  QuotaLedger ledger(next, t0, &old_ledger);
  constexpr std::size_t kNewGlobex = 0, kNewAcme = 1, kInitech = 2;
  // acme's two requests in flight count in the new ledger too, and its
  // bucket kept its level (58 left, now of 120).
  EXPECT_EQ(ledger.in_flight(kNewAcme), 2);
  EXPECT_EQ(ledger.status(kNewAcme, kSmall, t0).remaining_requests, 58);
  EXPECT_EQ(ledger.status(kNewAcme, kSmall, t0).limit_requests, 120);
  ASSERT_TRUE(ledger.admit(kNewAcme, kSmall, 10, t0).admitted());
  EXPECT_EQ(ledger.admit(kNewAcme, kSmall, 10, t0).refusal, Refusal::kConcurrency);  // now 3
  // A request admitted under the old ledger finishes there, on the same counts.
  old_ledger.finish(kAcme, kSmall, 10, 10, t0);
  EXPECT_EQ(ledger.in_flight(kNewAcme), 2);
  EXPECT_EQ(ledger.in_flight(kNewGlobex), 0);
  // A new tenant starts with full buckets.
  EXPECT_TRUE(ledger.admit(kInitech, kSmall, 10, t0).admitted());
  EXPECT_EQ(ledger.admit(kInitech, kSmall, 10, t0).refusal, Refusal::kRequests);
}

TEST(TenancyQuotaLedger, AReloadAddsAndRemovesPerModelScopes) {
  const config::TenantLimits big = limits(std::nullopt, std::nullopt, 1);
  QuotaLedger old_ledger(make_config(limits(std::nullopt, std::nullopt), &big), t0);
  ASSERT_TRUE(old_ledger.admit(kAcme, kBig, 10, t0).admitted());
  EXPECT_EQ(old_ledger.admit(kAcme, kBig, 10, t0).refusal, Refusal::kConcurrency);
  // Without model_limits for big, only the tenant-wide scope applies.
  QuotaLedger ledger(make_config(limits(std::nullopt, std::nullopt)), t0, &old_ledger);
  EXPECT_TRUE(ledger.admit(kAcme, kBig, 10, t0).admitted());
  EXPECT_EQ(ledger.in_flight(kAcme), 2);
  // And back: a new per-model scope starts empty.
  QuotaLedger again(make_config(limits(std::nullopt, std::nullopt), &big), t0, &ledger);
  EXPECT_TRUE(again.admit(kAcme, kBig, 10, t0).admitted());
  EXPECT_EQ(again.admit(kAcme, kBig, 10, t0).refusal, Refusal::kConcurrency);
}

}  // namespace
}  // namespace sluice::tenancy
