#pragma once
/// Tenants, limits and budgets as JSON: the shape of the admin API and of
/// the store's JSON columns. Reading validates as strictly as the YAML
/// loader and names the field that is wrong: "limits.rpm: expected a
/// positive integer, got -3".
#include <expected>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sluice/config/config.h"

namespace sluice::store {

/// What is wrong with an input, and where ("limits.rpm").
struct FieldError {
  std::string param;
  std::string message;
};

nlohmann::json limits_to_json(const config::TenantLimits& limits);
std::expected<config::TenantLimits, FieldError> limits_from_json(const nlohmann::json& j, const std::string& path);

nlohmann::json budgets_to_json(const std::vector<config::Budget>& budgets);
std::expected<std::vector<config::Budget>, FieldError> budgets_from_json(const nlohmann::json& j,
                                                                          const std::string& path);

/// id, name, weight, priority, max_priority, models, limits, budgets.
nlohmann::json tenant_to_json(const config::Tenant& tenant);
/// Applies the fields present in `body` to `tenant` (a create starts from a
/// default tenant and needs "id"; an update may not change it). Unknown
/// fields are errors, like unknown YAML keys.
std::expected<void, FieldError> apply_tenant_json(const nlohmann::json& body, config::Tenant& tenant, bool creating);

/// Whether `id` is a valid tenant id: [a-z0-9][a-z0-9_-]*, at most 64 characters.
bool valid_tenant_id(std::string_view id);

/// "30s", "15m", "24h", "7d": a duration in milliseconds; nullopt when not one.
std::optional<std::int64_t> parse_duration_ms(std::string_view text);

}  // namespace sluice::store
