// The quota ledger with limits shared between replicas (quota_sharing.h):
// leases, fallbacks, returns. Pure: the shared buckets' answers are written
// by hand here; cluster/shared_limits_test.cpp runs them against Redis.
#include <gtest/gtest.h>

#include <memory>

#include "sluice/tenancy/quota_ledger.h"

namespace sluice::tenancy {
namespace {

using namespace std::chrono_literals;

const core::TimePoint t0 = core::TimePoint{} + 1000s;

config::Config one_tenant(std::optional<std::int64_t> rpm, std::optional<std::int64_t> tpm,
                          std::optional<std::int64_t> conc = std::nullopt) {
  config::Config cfg;
  config::Tenant a;
  a.id = "acme";
  a.limits.rpm = rpm;
  a.limits.tpm = tpm;
  a.limits.max_concurrency = conc;
  cfg.tenants = {a};
  config::Model m;
  m.name = "small";
  cfg.models = {m};
  return cfg;
}

std::shared_ptr<QuotaSharing> leased(double fraction = 0.01) {
  auto s = std::make_shared<QuotaSharing>();
  s->mode = QuotaMode::kLeased;
  s->lease_fraction = fraction;
  return s;
}

LeaseGrant grant_all(const LeaseNeed& need, double left = 1000) {
  LeaseGrant g;
  g.granted = true;
  for (const auto& item : need.items) {
    g.amounts.push_back(item.want);
    g.left.push_back(left);
  }
  return g;
}

/// What the next request of `tokens` asks the shared buckets for (its first
/// item's need; 0 when it needs no lease), its hold released again.
double next_ask(QuotaLedger& ledger, std::int64_t tokens) {
  const AdmitDecision d = ledger.admit(0, 0, tokens, t0);
  if (!d.pending()) return 0;
  ledger.release(0, 0, tokens, *d.lease);
  return d.lease->items.front().need;
}

TEST(QuotaSharingTest, ALeasedLedgerAsksForALeaseThenAdmitsFromItWithoutAsking) {
  QuotaLedger ledger(one_tenant(6000, 600000), t0);
  ledger.share(leased());
  AdmitDecision d = ledger.admit(0, 0, 100, t0);
  ASSERT_FALSE(d.admitted());
  ASSERT_TRUE(d.lease);
  ASSERT_EQ(d.lease->items.size(), 2u);
  // Requests: 1 needed, 1 % of 6000 wanted ahead; tokens: 100 needed, 1 % of 600000 ahead.
  EXPECT_EQ(d.lease->items[0].kind, LeaseItem::Kind::kRequests);
  EXPECT_EQ(d.lease->items[0].key, "4:acme:rpm");
  EXPECT_DOUBLE_EQ(d.lease->items[0].need, 1);
  EXPECT_DOUBLE_EQ(d.lease->items[0].want, 60);
  EXPECT_EQ(d.lease->items[1].kind, LeaseItem::Kind::kTokens);
  EXPECT_DOUBLE_EQ(d.lease->items[1].need, 100);
  EXPECT_DOUBLE_EQ(d.lease->items[1].want, 6000);
  ASSERT_TRUE(ledger.admit_granted(0, 0, 100, *d.lease, grant_all(*d.lease), t0).admitted());
  EXPECT_EQ(ledger.in_flight(0), 1);
  // 59 more requests of 100 tokens pass on the lease alone: no more lease requests.
  for (int i = 0; i < 59; ++i) {
    d = ledger.admit(0, 0, 100, t0);
    ASSERT_TRUE(d.admitted()) << i;
    EXPECT_FALSE(d.lease);
  }
  d = ledger.admit(0, 0, 100, t0);
  EXPECT_FALSE(d.admitted());
  ASSERT_TRUE(d.lease);
  EXPECT_EQ(d.lease->items.size(), 2u);  // both leases are used up
}

TEST(QuotaSharingTest, ConcurrencySlotsAreTakenOneAtATimeAndSpareOnesGoBack) {
  QuotaLedger ledger(one_tenant(std::nullopt, std::nullopt, 2), t0);
  ledger.share(leased());
  AdmitDecision d = ledger.admit(0, 0, 10, t0);
  ASSERT_TRUE(d.lease);
  ASSERT_EQ(d.lease->items.size(), 1u);
  EXPECT_EQ(d.lease->items[0].kind, LeaseItem::Kind::kSlots);
  EXPECT_DOUBLE_EQ(d.lease->items[0].want, 1);  // one lease of slots: 1 % of 2, at least 1
  ASSERT_TRUE(ledger.admit_granted(0, 0, 10, *d.lease, grant_all(*d.lease), t0).admitted());
  // The second request needs a second slot; Redis does not answer, so it is released.
  d = ledger.admit(0, 0, 10, t0);
  ASSERT_TRUE(d.lease);
  EXPECT_DOUBLE_EQ(d.lease->items[0].need, 1);
  EXPECT_EQ(ledger.in_flight(0), 2);  // held
  ledger.release(0, 0, 10, *d.lease);
  EXPECT_EQ(ledger.in_flight(0), 1);
  ledger.finish(0, 0, 10, 10, t0 + 1s);
  // The slot of the finished request is spare: one lease of slots (1 % of 2,
  // so 1) stays while the tenant is busy, and goes back once it is idle.
  EXPECT_TRUE(ledger.collect_returns(t0 + 2s, 10s).empty());
  const auto returns = ledger.collect_returns(t0 + 11s, 10s);
  ASSERT_EQ(returns.size(), 1u);
  EXPECT_EQ(returns[0].kind, LeaseItem::Kind::kSlots);
  EXPECT_DOUBLE_EQ(returns[0].amount, 1);
  EXPECT_TRUE(ledger.collect_returns(t0 + 12s, 10s).empty());
}

TEST(QuotaSharingTest, APendingRequestHoldsItsShareSoEachAsksForItsOwn) {
  QuotaLedger ledger(one_tenant(std::nullopt, 60000, 100), t0);
  ledger.share(leased(0));  // no lease ahead: each grant is exactly what a request needs
  const AdmitDecision first = ledger.admit(0, 0, 100, t0);
  ASSERT_TRUE(first.pending());
  // A second request while the first waits asks for its own 100 tokens and
  // slot only: nothing of the first one's answer can be taken by it.
  const AdmitDecision second = ledger.admit(0, 0, 100, t0);
  ASSERT_TRUE(second.pending());
  ASSERT_EQ(second.lease->items.size(), 2u);
  EXPECT_DOUBLE_EQ(second.lease->items[0].need, 100);
  EXPECT_DOUBLE_EQ(second.lease->items[1].need, 1);
  EXPECT_EQ(ledger.in_flight(0), 2);
  // The answers come in any order; each settles its own request.
  const AdmitDecision b = ledger.admit_granted(0, 0, 100, *second.lease, grant_all(*second.lease), t0);
  EXPECT_TRUE(b.admitted());
  EXPECT_EQ(b.reserved_tokens, 100);
  EXPECT_TRUE(ledger.admit_granted(0, 0, 100, *first.lease, grant_all(*first.lease), t0).admitted());
  EXPECT_EQ(ledger.in_flight(0), 2);
  // Both leases are used up exactly: the next request asks for 100 again.
  EXPECT_DOUBLE_EQ(next_ask(ledger, 100), 100);
}

TEST(QuotaSharingTest, AnOverrunOwedIsAskedForWithTheNextRequest) {
  QuotaLedger ledger(one_tenant(std::nullopt, 60000), t0);
  ledger.share(leased(0));
  AdmitDecision d = ledger.admit(0, 0, 100, t0);
  ASSERT_TRUE(ledger.admit_granted(0, 0, 100, *d.lease, grant_all(*d.lease), t0).admitted());
  ledger.finish(0, 0, 100, 250, t0);  // 150 used beyond the reservation: owed
  EXPECT_DOUBLE_EQ(next_ask(ledger, 100), 250);
}

/// A leased ledger with no lease ahead, one request of 100 tokens held for want of one.
struct OneHeld {
  OneHeld() {
    ledger.share(sharing);
    held = ledger.admit(0, 0, 100, t0);
  }
  QuotaLedger ledger{one_tenant(std::nullopt, 60000), t0};
  std::shared_ptr<QuotaSharing> sharing = leased(0);
  AdmitDecision held;
};

TEST(QuotaSharingTest, AFallBackWhileARequestWaitsKeepsItsShortfallOwed) {
  OneHeld h;
  ASSERT_TRUE(h.held.pending());
  // Redis fails for another call: local mode, and a local admission seeds the buckets.
  h.sharing->mode = QuotaMode::kLocal;
  ++h.sharing->fallbacks;
  (void)h.ledger.admit(0, 0, 10, t0);
  h.sharing->mode = QuotaMode::kLeased;
  // The held request's grant comes back after all: it pays for that request
  // only, so the next one asks for its own 100 again.
  ASSERT_TRUE(h.ledger.admit_granted(0, 0, 100, *h.held.lease, grant_all(*h.held.lease), t0).admitted());
  EXPECT_DOUBLE_EQ(next_ask(h.ledger, 100), 100);
}

TEST(QuotaSharingTest, AHoldReleasedWhileClosedLeavesNoDebt) {
  OneHeld h;
  ASSERT_TRUE(h.held.pending());
  h.sharing->mode = QuotaMode::kClosed;  // its Redis call failed; the fallback is `closed`
  ++h.sharing->fallbacks;
  h.ledger.release(0, 0, 100, *h.held.lease);
  EXPECT_EQ(h.ledger.in_flight(0), 0);
  h.sharing->mode = QuotaMode::kLeased;
  EXPECT_DOUBLE_EQ(next_ask(h.ledger, 100), 100);  // not 200: nothing is owed for the released one
}

TEST(QuotaSharingTest, IdleLeasesGoBackAndAnOverrunIsOwed) {
  QuotaLedger ledger(one_tenant(std::nullopt, 60000), t0);
  ledger.share(leased());
  AdmitDecision d = ledger.admit(0, 0, 100, t0);
  ASSERT_TRUE(d.lease);
  ASSERT_TRUE(ledger.admit_granted(0, 0, 100, *d.lease, grant_all(*d.lease), t0).admitted());  // 600 tokens
  ledger.finish(0, 0, 100, 900, t0 + 1s);  // used 800 more than reserved
  EXPECT_TRUE(ledger.collect_returns(t0 + 2s, 5s).empty());  // not idle yet
  const auto returns = ledger.collect_returns(t0 + 7s, 5s);
  ASSERT_EQ(returns.size(), 1u);
  EXPECT_EQ(returns[0].key, "4:acme:tpm");
  EXPECT_DOUBLE_EQ(returns[0].amount, 600 - 100 - 800);  // owed to the shared bucket
}

TEST(QuotaSharingTest, ARefusedLeaseLeavesTheLedgerUntouched) {
  QuotaLedger ledger(one_tenant(60, std::nullopt), t0);
  ledger.share(leased());
  AdmitDecision d = ledger.admit(0, 0, 1, t0);
  ASSERT_TRUE(d.lease);
  LeaseGrant refused;
  refused.granted = false;
  refused.amounts = {0};
  refused.left = {0.5};
  refused.retry_after_ms = 500;
  const AdmitDecision r = ledger.admit_granted(0, 0, 1, *d.lease, refused, t0);
  EXPECT_EQ(r.refusal, Refusal::kRequests);
  EXPECT_FALSE(r.pending());
  EXPECT_EQ(r.retry_after, 500ms);
  EXPECT_EQ(ledger.in_flight(0), 0);
  // The next request asks for exactly what the first one did.
  d = ledger.admit(0, 0, 1, t0);
  ASSERT_TRUE(d.pending());
  EXPECT_DOUBLE_EQ(d.lease->items[0].need, 1);
}

TEST(QuotaSharingTest, LocalFallbackDividesEveryLimitByTheLiveReplicas) {
  QuotaLedger ledger(one_tenant(60, std::nullopt, 4), t0);
  auto sharing = std::make_shared<QuotaSharing>();
  sharing->mode = QuotaMode::kLocal;
  sharing->replicas = 3;
  ledger.share(sharing);
  // 60 rpm over 3 replicas: 20 here, at once (the bucket starts full).
  int admitted = 0;
  for (int i = 0; i < 30; ++i) {
    AdmitDecision d = ledger.admit(0, 0, 1, t0);
    if (d.admitted()) {
      ++admitted;
      ledger.finish(0, 0, 1, 1, t0);
    }
    EXPECT_FALSE(d.lease);
  }
  EXPECT_EQ(admitted, 20);
  // Concurrency 4 over 3 replicas: 1 here.
  QuotaLedger conc(one_tenant(std::nullopt, std::nullopt, 4), t0);
  conc.share(sharing);
  EXPECT_TRUE(conc.admit(0, 0, 1, t0).admitted());
  EXPECT_EQ(conc.admit(0, 0, 1, t0).refusal, Refusal::kConcurrency);
}

TEST(QuotaSharingTest, ClosedFallbackRefusesLimitedTenantsOnly) {
  config::Config cfg = one_tenant(60, std::nullopt);
  config::Tenant free;
  free.id = "free";
  cfg.tenants.push_back(free);
  QuotaLedger ledger(cfg, t0);
  auto sharing = std::make_shared<QuotaSharing>();
  sharing->mode = QuotaMode::kClosed;
  ledger.share(sharing);
  EXPECT_EQ(ledger.admit(0, 0, 1, t0).refusal, Refusal::kUnavailable);
  EXPECT_TRUE(ledger.admit(1, 0, 1, t0).admitted());
}

TEST(QuotaSharingTest, AReloadedLedgerKeepsTheSharingAndTheLeases) {
  const config::Config cfg = one_tenant(6000, std::nullopt);
  QuotaLedger ledger(cfg, t0);
  ledger.share(leased());
  AdmitDecision d = ledger.admit(0, 0, 1, t0);
  ASSERT_TRUE(ledger.admit_granted(0, 0, 1, *d.lease, grant_all(*d.lease), t0).admitted());
  QuotaLedger reloaded(cfg, t0 + 1s, &ledger);
  EXPECT_EQ(reloaded.sharing(), ledger.sharing());
  EXPECT_TRUE(reloaded.admit(0, 0, 1, t0 + 1s).admitted());  // from the lease taken before the reload
}

}  // namespace
}  // namespace sluice::tenancy
