#include "sluice/proxy/remaining.h"

#include "sluice/proxy/budgets.h"
#include "sluice/tenancy/quota_ledger.h"

namespace sluice::proxy {

nlohmann::json remaining_json(const ConfigSnapshot& snapshot, const std::string& tenant) {
  const auto& tenants = snapshot.tenants.tenants();
  const auto it = std::find_if(tenants.begin(), tenants.end(), [&](const auto& t) { return t.id.str() == tenant; });
  if (it == tenants.end()) return nullptr;
  const config::Tenant& declared = snapshot.config.tenants[it->index];
  nlohmann::json limits = nlohmann::json::object();
  if (!snapshot.config.models.empty() && snapshot.quotas) {
    const tenancy::RateLimitStatus s = snapshot.quotas->status(it->index, 0, core::steady_now());
    if (declared.limits.rpm && s.limit_requests)
      limits["rpm"] = {{"limit", *declared.limits.rpm}, {"remaining", s.remaining_requests}};
    if (declared.limits.tpm && s.limit_tokens)
      limits["tpm"] = {{"limit", *declared.limits.tpm}, {"remaining", s.remaining_tokens}};
  }
  if (declared.limits.max_concurrency) {
    limits["concurrency"] = {{"limit", *declared.limits.max_concurrency},
                             {"in_flight", snapshot.quotas ? snapshot.quotas->in_flight(it->index) : 0}};
  }
  return {{"tenant", tenant}, {"limits", limits}, {"budgets", budgets_json(snapshot, tenant, unix_now_ms())}};
}

}  // namespace sluice::proxy
