#pragma once
/// The admin API over the store: tenants, API keys, admin tokens, usage and
/// the audit log (docs/admin-api.yaml). Every mutation is validated (the
/// field, what was expected, what came), written with its audit row in one
/// transaction, and then published to the gateway through `Hooks::changed`
/// so it applies to the next request without a restart.
///
/// Thread-safety: handle() may be called from any thread; the store
/// serialises its own calls.
#include <expected>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sluice/admin/admin_server.h"
#include "sluice/config/config.h"
#include "sluice/store/store.h"

namespace sluice::admin {

class StateApi {
 public:
  struct Hooks {
    /// Tenants or keys changed: republish the gateway's snapshot.
    std::function<void()> changed;
    /// Admin tokens changed: rebuild the token set.
    std::function<void()> tokens_changed;
    /// Tenants declared in the YAML config: listed, read-only here.
    std::function<std::vector<config::Tenant>()> config_tenants;
    /// What is left of a tenant's quotas and budgets ("limits", "budgets"),
    /// or null when the tenant is unknown to the gateway.
    std::function<nlohmann::json(const std::string& tenant)> remaining;
    /// Unix milliseconds (a test may fix it).
    std::function<std::int64_t()> now_ms;
  };

  StateApi(store::Store& store, Hooks hooks);

  AdminReply handle(const AdminRequest& request);

  /// GET usage for one tenant (the tenant's own API key on the API
  /// listener, or /admin/usage?tenant=…): query parameters as /admin/usage.
  AdminReply usage(std::string_view query, const std::string& only_tenant);
  /// The remaining quota and budget of `tenant`.
  AdminReply remaining(const std::string& tenant);

 private:
  AdminReply tenants(const AdminRequest& r, std::string_view rest);
  AdminReply list_tenants();
  AdminReply create_tenant(const AdminRequest& r);
  AdminReply get_tenant(const std::string& id);
  AdminReply update_tenant(const AdminRequest& r, const std::string& id, std::string_view action);
  AdminReply delete_tenant(const AdminRequest& r, const std::string& id);

  AdminReply tenant_keys(const AdminRequest& r, const std::string& tenant);
  AdminReply issue_key(const AdminRequest& r, const std::string& tenant);
  AdminReply key_action(const AdminRequest& r, std::string_view rest);

  AdminReply tokens(const AdminRequest& r, std::string_view rest);
  AdminReply audit(const AdminRequest& r);
  /// GET /admin/failovers?since=…: the failover log, kept across restarts.
  AdminReply failovers(const AdminRequest& r);
  /// `since=` of a query (0 when absent), or the 400 reply.
  std::expected<std::int64_t, AdminReply> since_param(std::string_view query) const;

  const config::Tenant* config_tenant(const std::string& id, std::vector<config::Tenant>& holder) const;
  store::AuditRecord audit_record(const AdminRequest& r, std::string action, std::string target,
                                  const nlohmann::json& before, const nlohmann::json& after) const;
  std::int64_t now() const { return hooks_.now_ms(); }

  store::Store& store_;
  Hooks hooks_;
};

/// A tenant record as the API shows it.
nlohmann::json tenant_json(const store::TenantRecord& record);
/// A YAML tenant as the API shows it (source "config").
nlohmann::json config_tenant_json(const config::Tenant& tenant);
/// A key as the API shows it: never the hash, never the plain key.
nlohmann::json key_json(const store::KeyRecord& key);

}  // namespace sluice::admin
