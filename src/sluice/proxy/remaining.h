#pragma once
/// What is left of a tenant's quotas (and budgets) right now, as the admin
/// API and the tenant's own usage route show it.
#include <string>

#include <nlohmann/json.hpp>

#include "sluice/proxy/gateway_context.h"

namespace sluice::proxy {

/// {"tenant", "limits": {"rpm": {"limit","remaining"}, "tpm": {…}, "concurrency": {"limit","in_flight"}},
/// "budgets": [the tenant's and its keys' budgets, budgets.h]}; null when
/// the snapshot has no such tenant.
nlohmann::json remaining_json(const ConfigSnapshot& snapshot, const std::string& tenant);

}  // namespace sluice::proxy
