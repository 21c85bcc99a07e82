#pragma once
/// The rows of the store, as plain values. Times are unix milliseconds; 0
/// means "not set" (never expires, not revoked, never used).
#include <cstdint>
#include <string>
#include <vector>

#include "sluice/config/config.h"

namespace sluice::store {

/// A tenant managed through the admin API. `tenant.api_keys` is empty here:
/// keys are rows of their own.
struct TenantRecord {
  config::Tenant tenant;
  bool disabled = false;
  std::int64_t created_at = 0;
  std::int64_t updated_at = 0;
};

struct KeyRecord {
  std::string id;  // "key_…"
  std::string tenant_id;
  std::string sha256;  // of the plain key; the plain key is never stored
  std::string prefix;  // the first characters of the plain key, to recognise it
  std::string label;
  std::vector<config::Budget> budgets;
  std::int64_t created_at = 0;
  std::int64_t expires_at = 0;
  std::int64_t revoked_at = 0;
  std::int64_t last_used_at = 0;
};

enum class Role { kViewer, kOperator, kAdmin };
std::string_view to_string(Role role);
/// "viewer" | "operator" | "admin"; false for anything else.
bool parse_role(std::string_view text, Role& out);

struct AdminTokenRecord {
  std::string id;  // "tok_…"
  std::string sha256;
  std::string prefix;
  Role role = Role::kViewer;
  std::string label;
  std::int64_t created_at = 0;
  std::int64_t revoked_at = 0;
};

/// One finished request, as the ledger keeps it.
struct UsageRecord {
  std::int64_t at = 0;
  std::string request_id;
  std::string tenant_id;
  std::string key_id;  // "" for keys declared in YAML
  std::string model;
  std::string instance;
  std::int64_t prompt_tokens = 0;
  std::int64_t completion_tokens = 0;
  int status = 0;
  double cost_usd = 0;
};

/// Who changed what, with the state before and after (JSON text, "" = none).
struct AuditRecord {
  std::int64_t at = 0;
  std::string actor;   // admin token id, or "bootstrap"
  std::string action;  // "tenant.create", "key.revoke", …
  std::string target;  // the tenant, key or token id
  std::string before;
  std::string after;
};

/// A usage report: filters and grouping.
struct UsageQuery {
  std::string tenant;  // "" = every tenant
  std::string key;     // "" = every key
  std::string model;   // "" = every model
  std::int64_t since = 0;
  std::int64_t until = 0;  // exclusive
  enum class Group { kHour, kDay, kNone } group = Group::kDay;
};

struct UsageRow {
  std::int64_t period_start = 0;  // hour or day start; `since` when not grouped
  std::string tenant;
  std::string key;
  std::string model;
  std::int64_t requests = 0;
  std::int64_t prompt_tokens = 0;
  std::int64_t completion_tokens = 0;
  double cost_usd = 0;
};

}  // namespace sluice::store
