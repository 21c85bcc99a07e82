#include "sluice/store/tenant_loader.h"

#include <fmt/format.h>

#include <unordered_map>

namespace sluice::store {

Result<void> add_store_tenants(Store& store, config::Config& config, std::int64_t now_ms) {
  auto tenants = store.tenants();
  if (!tenants) return std::unexpected(tenants.error());
  auto keys = store.live_keys(now_ms);
  if (!keys) return std::unexpected(keys.error());
  std::unordered_map<std::string, std::vector<config::ApiKey>> by_tenant;
  for (const auto& k : *keys) {
    by_tenant[k.tenant_id].push_back(config::ApiKey{k.sha256, "store", k.id, k.expires_at, k.budgets});
  }
  for (auto& record : *tenants) {
    for (const auto& yaml : config.tenants) {
      if (yaml.id == record.tenant.id && yaml.origin != "store") {
        return std::unexpected(StoreError{fmt::format(
            "tenant \"{}\" is declared in {} and also managed in the store ({}); keep one: remove it from the "
            "config file, or delete it with `sluice admin tenants delete {}`",
            yaml.id, config.source_path.empty() ? "the config" : config.source_path, store.describe(), yaml.id)});
      }
    }
    if (record.disabled) continue;
    config::Tenant t = std::move(record.tenant);
    t.origin = "store";
    if (auto it = by_tenant.find(t.id); it != by_tenant.end()) t.api_keys = std::move(it->second);
    config.tenants.push_back(std::move(t));
  }
  return {};
}

}  // namespace sluice::store
