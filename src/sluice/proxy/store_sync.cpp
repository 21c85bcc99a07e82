#include "sluice/proxy/store_sync.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "sluice/store/tenant_loader.h"
#include "sluice/tenancy/budget_ledger.h"

namespace sluice::proxy {
namespace {
std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}
}  // namespace

StoreSync::StoreSync(GatewayContext& ctx, store::Store& store, config::Config yaml, std::string salt_secret,
                     RoutesBuilder build_routes, net::asio::io_context& control)
    : ctx_(ctx),
      store_(store),
      yaml_(std::move(yaml)),
      secret_(std::move(salt_secret)),
      build_routes_(std::move(build_routes)),
      timer_(control) {}

std::expected<void, std::string> StoreSync::complete(config::Config& yaml) const {
  if (auto r = store::add_store_tenants(store_, yaml, now_ms()); !r) return std::unexpected(r.error().message);
  return {};
}

bool StoreSync::publish() {
  config::Config next = yaml_;
  if (auto r = complete(next); !r) {
    spdlog::error("store: tenants not republished, the last snapshot keeps serving: {}", r.error());
    return false;
  }
  const ReloadOutcome outcome = apply_config(ctx_, std::move(next), secret_, build_routes_);
  if (!outcome.reloaded) {
    spdlog::error("store: tenants not republished ({})", outcome.reason);
    for (const auto& e : outcome.errors) spdlog::error("  {}", e);
    return false;
  }
  for (const auto& change : outcome.changes) spdlog::info("store: {}", change);
  seed_budgets();
  return true;
}

void StoreSync::seed_budgets() {
  const auto snapshot = ctx_.config.load();
  if (!snapshot->budgets || !snapshot->budgets->any()) return;
  const std::int64_t now = now_ms();
  const auto seed = [&](tenancy::BudgetScope scope, const std::string& id, const std::string& tenant,
                        const std::string& key, const std::vector<config::Budget>& budgets) {
    std::vector<config::BudgetPeriod> done;
    for (const auto& b : budgets) {
      if (std::find(done.begin(), done.end(), b.period) != done.end()) continue;
      done.push_back(b.period);
      const auto spent = store_.spent(tenant, key, tenancy::period_start_ms(b.period, now));
      if (!spent) {
        spdlog::error("store: budgets of {} not seeded from the ledger: {}", id, spent.error().message);
        return;
      }
      snapshot->budgets->seed(scope, id, b.period, tenancy::Spend{spent->tokens, spent->usd}, now);
    }
  };
  for (const auto& t : snapshot->config.tenants) {
    if (!t.budgets.empty()) seed(tenancy::BudgetScope::kTenant, t.id, t.id, "", t.budgets);
    for (const auto& k : t.api_keys)
      if (!k.id.empty() && !k.budgets.empty()) seed(tenancy::BudgetScope::kKey, k.id, t.id, k.id, k.budgets);
  }
}

void StoreSync::start_polling(std::function<void()> on_change) {
  on_change_ = std::move(on_change);
  if (auto v = store_.state_version()) seen_version_ = *v;
  schedule();
}

void StoreSync::stop() { timer_.cancel(); }

void StoreSync::schedule() {
  timer_.expires_after(std::chrono::duration_cast<std::chrono::steady_clock::duration>(yaml_.store.poll_interval));
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    const auto version = store_.state_version();
    if (!version) {
      if (!store_down_) spdlog::error("store: unreachable ({}); serving from the last snapshot", version.error().message);
      store_down_ = true;
    } else {
      if (store_down_) spdlog::info("store: reachable again");
      store_down_ = false;
      if (!seen_version_ || *seen_version_ != *version) {
        seen_version_ = *version;
        publish();
        if (on_change_) on_change_();
      } else if (seed_every_poll_) {
        seed_budgets();  // what the other replicas spent since the last poll
      }
    }
    schedule();
  });
}

}  // namespace sluice::proxy
