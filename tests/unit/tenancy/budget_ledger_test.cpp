#include "sluice/tenancy/budget_ledger.h"

#include <gtest/gtest.h>

#include <latch>
#include <string>
#include <thread>
#include <vector>

namespace sluice::tenancy {
namespace {

using config::BudgetPeriod;
using config::BudgetUnit;

// 2026-12-31T23:59:59.999Z and the next millisecond.
constexpr std::int64_t kDec31Last = 1798761599999;
constexpr std::int64_t kJan1 = 1798761600000;
// 2026-12-15T12:00:00Z.
constexpr std::int64_t kDec15Noon = 1797336000000;
constexpr std::size_t kAcme = 0, kGlobex = 1;

config::Budget budget(double limit, BudgetUnit unit, BudgetPeriod period, double soft = 0.8) {
  return config::Budget{limit, unit, period, soft};
}

/// acme with `acme` budgets and one issued key (key_ci) with `key` budgets; globex with none.
config::Config make_config(std::vector<config::Budget> acme, std::vector<config::Budget> key = {}) {
  config::Config cfg;
  config::Tenant a;
  a.id = "acme";
  a.budgets = std::move(acme);
  config::ApiKey k;
  k.sha256_hex = std::string(64, 'a');
  k.id = "key_ci";
  k.budgets = std::move(key);
  a.api_keys.push_back(k);
  config::Tenant g;
  g.id = "globex";
  cfg.tenants = {a, g};
  return cfg;
}

Spend tokens(std::int64_t n) { return Spend{n, 0}; }

TEST(BudgetPeriods, UtcDayAndMonthBoundaries) {
  EXPECT_EQ(period_start_ms(BudgetPeriod::kDay, kDec15Noon), 1797292800000);  // 2026-12-15T00:00Z
  EXPECT_EQ(period_end_ms(BudgetPeriod::kDay, kDec15Noon), 1797379200000);
  EXPECT_EQ(period_start_ms(BudgetPeriod::kMonth, kDec15Noon), 1796083200000);  // 2026-12-01T00:00Z
  EXPECT_EQ(period_end_ms(BudgetPeriod::kMonth, kDec31Last), kJan1);
  EXPECT_EQ(period_start_ms(BudgetPeriod::kMonth, kJan1), kJan1);
  EXPECT_EQ(period_end_ms(BudgetPeriod::kMonth, kJan1), 1801440000000);  // 2027-02-01T00:00Z
  EXPECT_EQ(period_start_ms(BudgetPeriod::kTotal, kJan1), 0);
  EXPECT_EQ(period_end_ms(BudgetPeriod::kTotal, kJan1), 0);
  EXPECT_EQ(rfc3339_utc(kJan1), "2027-01-01T00:00:00Z");
  EXPECT_EQ(rfc3339_utc(kDec31Last), "2026-12-31T23:59:59Z");
  // 2028 is a leap year: February has 29 days.
  EXPECT_EQ(rfc3339_utc(period_end_ms(BudgetPeriod::kMonth, 1833062400000)), "2028-03-01T00:00:00Z");
}

TEST(BudgetLedger, HoldsWorstCasesAndSettlesRealUse) {
  BudgetLedger ledger(make_config({budget(1000, BudgetUnit::kTokens, BudgetPeriod::kDay)}), kDec15Noon);
  EXPECT_TRUE(ledger.any());
  const BudgetAdmit a = ledger.admit(kAcme, std::nullopt, tokens(300), kDec15Noon);
  ASSERT_TRUE(a.admitted) << a.message;
  EXPECT_EQ(a.ticket.tenant, kAcme);
  EXPECT_EQ(a.ticket.held, tokens(300));
  const BudgetAdmit b = ledger.admit(kAcme, std::nullopt, tokens(600), kDec15Noon);
  ASSERT_TRUE(b.admitted);
  auto st = ledger.remaining(BudgetScope::kTenant, "acme", kDec15Noon);
  ASSERT_EQ(st.size(), 1u);
  EXPECT_EQ(st[0].spent, 0);
  EXPECT_EQ(st[0].held, 900);
  EXPECT_EQ(st[0].remaining, 100);
  EXPECT_EQ(st[0].resets_at_ms, 1797379200000);
  // 900 held + 200 > 1000.
  EXPECT_FALSE(ledger.admit(kAcme, std::nullopt, tokens(200), kDec15Noon).admitted);
  EXPECT_EQ(ledger.refusals(kAcme), 1u);
  // The first used 100 of its 300: 100 spent, 600 held, 300 left.
  EXPECT_TRUE(ledger.settle(a.ticket, tokens(100), kDec15Noon).empty());
  st = ledger.remaining(BudgetScope::kTenant, "acme", kDec15Noon);
  EXPECT_EQ(st[0].spent, 100);
  EXPECT_EQ(st[0].held, 600);
  EXPECT_EQ(st[0].remaining, 300);
  const BudgetAdmit c = ledger.admit(kAcme, std::nullopt, tokens(300), kDec15Noon);
  EXPECT_TRUE(c.admitted);  // exactly the limit
  EXPECT_FALSE(ledger.admit(kAcme, std::nullopt, tokens(1), kDec15Noon).admitted);
  // A tenant without budgets holds nothing.
  const BudgetAdmit g = ledger.admit(kGlobex, std::nullopt, tokens(1'000'000), kDec15Noon);
  EXPECT_TRUE(g.admitted);
  EXPECT_TRUE(g.ticket.empty());
  EXPECT_TRUE(ledger.remaining(BudgetScope::kTenant, "globex", kDec15Noon).empty());
}

TEST(BudgetLedger, RefusalNamesTheBudgetAndItsReset) {
  BudgetLedger ledger(make_config({budget(10, BudgetUnit::kUsd, BudgetPeriod::kMonth)}), kDec15Noon);
  ASSERT_TRUE(ledger.seed(BudgetScope::kTenant, "acme", BudgetPeriod::kMonth, Spend{0, 9.99}, kDec15Noon));
  const BudgetAdmit r = ledger.admit(kAcme, std::nullopt, Spend{400, 0.02}, kDec15Noon);
  ASSERT_FALSE(r.admitted);
  EXPECT_EQ(r.message,
            "Budget exceeded: tenant acme has a budget of $10.00 per month (unit usd, period month): $9.99 spent, "
            "$0.00 held by requests in flight, up to $0.02 for this request. It resets at 2027-01-01T00:00:00Z.");
  EXPECT_EQ(r.resets_at_ms, kJan1);
  EXPECT_TRUE(ledger.admit(kAcme, std::nullopt, Spend{400, 0.01}, kDec15Noon).admitted);

  BudgetLedger total(make_config({}, {budget(5000, BudgetUnit::kTokens, BudgetPeriod::kTotal)}), kDec15Noon);
  const auto key = total.key_scope("key_ci");
  ASSERT_TRUE(key);
  EXPECT_FALSE(total.key_scope("key_other"));
  EXPECT_FALSE(total.key_scope(""));
  const BudgetAdmit k = total.admit(kAcme, key, tokens(5001), kDec15Noon);
  ASSERT_FALSE(k.admitted);
  EXPECT_EQ(k.message,
            "Budget exceeded: API key key_ci (tenant acme) has a budget of 5000 tokens in total (unit tokens, period "
            "total): 0 tokens spent, 0 tokens held by requests in flight, up to 5001 tokens for this request. It never "
            "resets (a total budget): raise its limit to continue.");
  EXPECT_EQ(k.resets_at_ms, 0);
  EXPECT_EQ(total.refusals(kAcme), 1u);  // counted for the key's tenant
}

TEST(BudgetLedger, TenantAndKeyBudgetsBothApply) {
  BudgetLedger ledger(make_config({budget(1000, BudgetUnit::kTokens, BudgetPeriod::kDay)},
                                  {budget(300, BudgetUnit::kTokens, BudgetPeriod::kDay)}),
                      kDec15Noon);
  const auto key = ledger.key_scope("key_ci");
  ASSERT_TRUE(key);
  const BudgetAdmit a = ledger.admit(kAcme, key, tokens(250), kDec15Noon);
  ASSERT_TRUE(a.admitted);
  EXPECT_EQ(a.ticket.key, *key);
  const BudgetAdmit refused = ledger.admit(kAcme, key, tokens(100), kDec15Noon);
  ASSERT_FALSE(refused.admitted);
  EXPECT_NE(refused.message.find("API key key_ci"), std::string::npos) << refused.message;
  // The refused request held nothing on the tenant either.
  EXPECT_EQ(ledger.remaining(BudgetScope::kTenant, "acme", kDec15Noon)[0].held, 250);
  // Without the key (another key of the tenant), only the tenant's budget applies.
  EXPECT_TRUE(ledger.admit(kAcme, std::nullopt, tokens(700), kDec15Noon).admitted);
  ledger.settle(a.ticket, tokens(250), kDec15Noon);
  EXPECT_EQ(ledger.remaining(BudgetScope::kKey, "key_ci", kDec15Noon)[0].spent, 250);
  EXPECT_EQ(ledger.remaining(BudgetScope::kTenant, "acme", kDec15Noon)[0].spent, 250);
}

TEST(BudgetLedger, MonthAndDayRollOverAtUtcMidnightOnNewYear) {
  BudgetLedger ledger(make_config({budget(100, BudgetUnit::kTokens, BudgetPeriod::kMonth),
                                   budget(1000, BudgetUnit::kTokens, BudgetPeriod::kTotal)}),
                      kDec15Noon);
  const BudgetAdmit a = ledger.admit(kAcme, std::nullopt, tokens(90), kDec15Noon);
  ASSERT_TRUE(a.admitted);
  ledger.settle(a.ticket, tokens(90), kDec15Noon);
  EXPECT_FALSE(ledger.admit(kAcme, std::nullopt, tokens(20), kDec31Last).admitted);
  // One held over midnight: settled in January, it counts there.
  const BudgetAdmit b = ledger.admit(kAcme, std::nullopt, tokens(10), kDec31Last);
  ASSERT_TRUE(b.admitted);
  const BudgetAdmit c = ledger.admit(kAcme, std::nullopt, tokens(90), kJan1);
  ASSERT_TRUE(c.admitted);  // 0 spent + 10 held + 90
  auto st = ledger.remaining(BudgetScope::kTenant, "acme", kJan1);
  ASSERT_EQ(st.size(), 2u);
  EXPECT_EQ(st[0].spent, 0);
  EXPECT_EQ(st[0].held, 100);
  EXPECT_EQ(st[0].period_start_ms, kJan1);
  EXPECT_EQ(st[1].spent, 90);  // total never resets
  ledger.settle(b.ticket, tokens(10), kJan1 + 1);
  st = ledger.remaining(BudgetScope::kTenant, "acme", kJan1 + 1);
  EXPECT_EQ(st[0].spent, 10);
  EXPECT_EQ(st[1].spent, 100);
  // A status read a month later shows the new period without an admission.
  EXPECT_EQ(ledger.remaining(BudgetScope::kTenant, "acme", 1801440000000)[0].spent, 0);
}

TEST(BudgetLedger, SoftThresholdIsReportedOncePerPeriod) {
  BudgetLedger ledger(make_config({budget(100, BudgetUnit::kTokens, BudgetPeriod::kDay, 0.8)}), kDec31Last - 1000);
  const auto run = [&](std::int64_t used, std::int64_t now) {
    const BudgetAdmit a = ledger.admit(kAcme, std::nullopt, tokens(used), now);
    EXPECT_TRUE(a.admitted) << a.message;
    return ledger.settle(a.ticket, tokens(used), now);
  };
  EXPECT_TRUE(run(50, kDec31Last - 1000).empty());
  EXPECT_FALSE(ledger.remaining(BudgetScope::kTenant, "acme", kDec31Last)[0].soft_exceeded);
  const auto crossed = run(30, kDec31Last - 1000);
  ASSERT_EQ(crossed.size(), 1u);
  EXPECT_EQ(crossed[0].scope, BudgetScope::kTenant);
  EXPECT_EQ(crossed[0].id, "acme");
  EXPECT_EQ(crossed[0].spent, 80);
  EXPECT_TRUE(ledger.remaining(BudgetScope::kTenant, "acme", kDec31Last)[0].soft_exceeded);
  EXPECT_TRUE(run(5, kDec31Last).empty());
  // A new day: reported again when crossed again.
  EXPECT_TRUE(run(10, kJan1).empty());
  EXPECT_EQ(run(75, kJan1).size(), 1u);
}

TEST(BudgetLedger, SeedRaisesSpentInItsPeriodOnly) {
  BudgetLedger ledger(make_config({budget(100, BudgetUnit::kUsd, BudgetPeriod::kDay),
                                   budget(1000, BudgetUnit::kUsd, BudgetPeriod::kMonth)}),
                      kDec15Noon);
  EXPECT_TRUE(ledger.seed(BudgetScope::kTenant, "acme", BudgetPeriod::kMonth, Spend{0, 400}, kDec15Noon));
  EXPECT_TRUE(ledger.seed(BudgetScope::kTenant, "acme", BudgetPeriod::kDay, Spend{0, 30}, kDec15Noon));
  // A lagging durable ledger never lowers what was counted here.
  EXPECT_TRUE(ledger.seed(BudgetScope::kTenant, "acme", BudgetPeriod::kDay, Spend{0, 10}, kDec15Noon));
  EXPECT_FALSE(ledger.seed(BudgetScope::kTenant, "nobody", BudgetPeriod::kDay, Spend{0, 10}, kDec15Noon));
  EXPECT_FALSE(ledger.seed(BudgetScope::kKey, "key_ci", BudgetPeriod::kDay, Spend{0, 10}, kDec15Noon));
  const auto st = ledger.remaining(BudgetScope::kTenant, "acme", kDec15Noon);
  ASSERT_EQ(st.size(), 2u);
  EXPECT_EQ(st[0].spent, 30);
  EXPECT_EQ(st[1].spent, 400);
}

TEST(BudgetLedger, ReloadKeepsStateOfTenantsAndKeysThatStay) {
  auto first = std::make_unique<BudgetLedger>(
      make_config({budget(1000, BudgetUnit::kTokens, BudgetPeriod::kDay)},
                  {budget(500, BudgetUnit::kTokens, BudgetPeriod::kDay)}),
      kDec15Noon);
  const auto key = first->key_scope("key_ci");
  const BudgetAdmit spent = first->admit(kAcme, key, tokens(200), kDec15Noon);
  first->settle(spent.ticket, tokens(200), kDec15Noon);
  const BudgetAdmit in_flight = first->admit(kAcme, key, tokens(100), kDec15Noon);
  ASSERT_TRUE(in_flight.admitted);

  // The limit changes; a usd budget is added; globex gets one.
  config::Config next = make_config({budget(800, BudgetUnit::kTokens, BudgetPeriod::kDay),
                                     budget(5, BudgetUnit::kUsd, BudgetPeriod::kMonth)},
                                    {budget(500, BudgetUnit::kTokens, BudgetPeriod::kDay)});
  next.tenants[1].budgets = {budget(50, BudgetUnit::kTokens, BudgetPeriod::kTotal)};
  BudgetLedger second(next, kDec15Noon, first.get());
  auto acme = second.remaining(BudgetScope::kTenant, "acme", kDec15Noon);
  ASSERT_EQ(acme.size(), 2u);
  EXPECT_EQ(acme[0].budget.limit, 800);
  EXPECT_EQ(acme[0].spent, 200);
  EXPECT_EQ(acme[0].held, 100);
  EXPECT_EQ(acme[1].spent, 0);
  EXPECT_EQ(second.remaining(BudgetScope::kKey, "key_ci", kDec15Noon)[0].held, 100);
  EXPECT_EQ(second.remaining(BudgetScope::kTenant, "globex", kDec15Noon)[0].spent, 0);
  // The request admitted under the old ledger settles there, on the shared state.
  first->settle(in_flight.ticket, tokens(50), kDec15Noon);
  first.reset();
  acme = second.remaining(BudgetScope::kTenant, "acme", kDec15Noon);
  EXPECT_EQ(acme[0].spent, 250);
  EXPECT_EQ(acme[0].held, 0);
  EXPECT_EQ(second.remaining(BudgetScope::kKey, "key_ci", kDec15Noon)[0].spent, 250);
  EXPECT_EQ(second.statuses(kDec15Noon).size(), 4u);  // acme 2, globex 1, key_ci 1
}

/// Threads race admissions of 100 tokens that each use `overrun` more than
/// held. Spent ends within limit + threads × overrun (only requests in
/// flight at the last admission can add their overrun), and the budget was
/// used (spent above limit - one request).
void race(std::int64_t overrun) {
  constexpr std::int64_t kLimit = 20'000;
  constexpr int kThreads = 8;
  BudgetLedger ledger(make_config({budget(kLimit, BudgetUnit::kTokens, BudgetPeriod::kTotal)}), kDec15Noon);
  std::latch start(kThreads);
  std::vector<std::thread> threads;
  std::atomic<int> refused{0};
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&] {
      start.arrive_and_wait();
      for (int n = 0; n < 400; ++n) {
        const BudgetAdmit a = ledger.admit(kAcme, std::nullopt, tokens(100), kDec15Noon);
        if (!a.admitted) {
          refused.fetch_add(1);
          continue;
        }
        ledger.settle(a.ticket, tokens(100 + overrun), kDec15Noon);
      }
    });
  }
  for (auto& t : threads) t.join();
  const auto st = ledger.remaining(BudgetScope::kTenant, "acme", kDec15Noon);
  EXPECT_EQ(st[0].held, 0);
  EXPECT_LE(st[0].spent, kLimit + kThreads * overrun);
  EXPECT_GT(st[0].spent, kLimit - 100);
  EXPECT_GT(refused.load(), 0);
  EXPECT_EQ(ledger.refusals(kAcme), static_cast<std::uint64_t>(refused.load()));
}

TEST(BudgetLedger, ConcurrentHoldsNeverPassTheLimit) { race(0); }
TEST(BudgetLedger, ConcurrentOverrunsPassItByAtMostTheInFlightOverrun) { race(7); }

}  // namespace
}  // namespace sluice::tenancy
