// proxy::apply_config on a GatewayContext without I/O: what is refused, what
// is published, and what carries over (quota state, scheduler tenant ids).
#include "sluice/proxy/reload.h"

#include <gtest/gtest.h>

#include "sluice/proxy/model_pool.h"
#include "sluice/tenancy/quota_ledger.h"

namespace sluice::proxy {
namespace {

config::Config make_config(std::vector<std::string> tenant_ids, std::int64_t acme_rpm = 60) {
  config::Config cfg;
  for (const auto& id : tenant_ids) {
    config::Tenant t;
    t.id = id;
    t.models = {"*"};
    if (id == "acme") t.limits.rpm = acme_rpm;
    cfg.tenants.push_back(t);
  }
  config::Model m;
  m.name = "small";
  cfg.models.push_back(m);
  return cfg;
}

core::TimePoint now() { return std::chrono::time_point_cast<core::Duration>(std::chrono::steady_clock::now()); }

struct Fixture {
  explicit Fixture(const config::Config& cfg) : ctx(nullptr, std::make_shared<balance::RoutingTable>(), "") {
    ctx.config.publish(std::make_shared<ConfigSnapshot>(cfg, "secret", ctx.metrics));
    ctx.build_schedulers(*ctx.config.load());
  }
  ReloadOutcome apply(config::Config next) {
    return apply_config(ctx, std::move(next), "secret",
                        [this](const config::Config&, const balance::RoutingTable& previous) {
                          ++routes_built;
                          return std::make_shared<balance::RoutingTable>(previous);
                        });
  }
  GatewayContext ctx;
  int routes_built = 0;
};

TEST(ProxyReload, NeedsRestartChangesNothing) {
  Fixture f(make_config({"acme"}));
  const auto before = f.ctx.config.load();
  config::Config next = make_config({"acme", "globex"});
  next.listen.api.port = 1234;
  const ReloadOutcome r = f.apply(next);
  EXPECT_FALSE(r.reloaded);
  EXPECT_EQ(r.reason, "needs_restart");
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_NE(r.errors[0].find("listen.api"), std::string::npos) << r.errors[0];
  EXPECT_EQ(f.ctx.config.load(), before);
  EXPECT_EQ(f.routes_built, 0);
}

TEST(ProxyReload, NoChangesPublishesNothing) {
  Fixture f(make_config({"acme"}));
  const auto before = f.ctx.config.load();
  const ReloadOutcome r = f.apply(make_config({"acme"}));
  EXPECT_TRUE(r.reloaded);
  EXPECT_TRUE(r.changes.empty());
  EXPECT_EQ(f.ctx.config.load(), before);
}

TEST(ProxyReload, TenantsSwitchAndStateCarriesOver) {
  Fixture f(make_config({"acme", "globex"}));
  const auto old = f.ctx.config.load();
  // A request of acme admitted under the old snapshot, still running.
  ASSERT_TRUE(old->quotas->admit(0, 0, 10, now()).admitted());

  // initech first, globex gone, acme's rpm raised.
  const ReloadOutcome r = f.apply(make_config({"initech", "acme"}, 120));
  ASSERT_TRUE(r.reloaded);
  EXPECT_EQ(f.routes_built, 0);  // no model changed
  const auto next = f.ctx.config.load();
  ASSERT_NE(next, old);
  ASSERT_EQ(next->tenants.tenants().size(), 2u);
  // acme kept its scheduler id (0) and its in-flight count; initech got a new one.
  EXPECT_EQ(next->sched_tenant(1), old->sched_tenant(0));
  EXPECT_EQ(next->sched_tenant(0), 2u);
  EXPECT_EQ(next->quotas->in_flight(1), 1);
  EXPECT_EQ(next->quotas->status(1, 0, now()).limit_requests, 120);
  EXPECT_FALSE(next->sched_tenant_current(old->sched_tenant(1)));  // globex
  EXPECT_EQ(next->sched_tenant_ids()[old->sched_tenant(1)], "globex");
  // The request ends on the ledger it was admitted by: the count is shared.
  old->quotas->finish(0, 0, 10, 10, now());
  EXPECT_EQ(next->quotas->in_flight(1), 0);
}

TEST(ProxyReload, AModelChangeRebuildsTheRoutes) {
  Fixture f(make_config({"acme"}));
  config::Config next = make_config({"acme"});
  next.models[0].scheduler.max_engine_waiting = 9;
  next.models[0].outlier_detection.enabled = false;
  const ReloadOutcome r = f.apply(next);
  ASSERT_TRUE(r.reloaded);
  EXPECT_EQ(f.routes_built, 1);
  EXPECT_EQ(r.changes.size(), 2u);
}

}  // namespace
}  // namespace sluice::proxy
