#include "sluice/admin/admin_auth.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <openssl/crypto.h>

#include "sluice/config/api_key_hash.h"
#include "sluice/tenancy/tenant_directory.h"

namespace sluice::admin {

Requirement required_role(net::http::verb method, std::string_view path, bool protect_metrics) {
  using net::http::verb;
  if (path == "/healthz" || path == "/readyz") return {true};
  if (path == "/metrics") return protect_metrics ? Requirement{false, Role::kViewer} : Requirement{true};
  // The console's files hold no data (a browser cannot send a bearer token
  // when it navigates); the page reads everything with the operator's token.
  if (path == "/console" || path.starts_with("/console/")) return {true};
  const bool read = method == verb::get || method == verb::head;
  if (path.starts_with("/admin/tokens") || path.starts_with("/admin/audit")) return {false, Role::kAdmin};
  if (path.starts_with("/admin/tenants") || path.starts_with("/admin/keys"))
    return {false, read ? Role::kViewer : Role::kAdmin};
  if (path == "/admin/reload" || path.starts_with("/admin/fleet")) return {false, read ? Role::kViewer : Role::kOperator};
  // Everything else under /admin reads (instances, usage); unknown paths
  // still need a token, so probing reveals nothing without one.
  return {false, read ? Role::kViewer : Role::kAdmin};
}

AdminTokens::AdminTokens(std::string bootstrap_sha256, const std::vector<store::AdminTokenRecord>& issued)
    : bootstrap_(std::move(bootstrap_sha256)) {
  if (!bootstrap_.empty()) by_hash_.emplace(bootstrap_, Principal{"bootstrap", Role::kAdmin});
  for (const auto& t : issued) {
    if (t.revoked_at == 0) by_hash_.emplace(t.sha256, Principal{t.id, t.role});
  }
}

std::optional<Principal> AdminTokens::authenticate(std::string_view plain_token) const {
  if (plain_token.empty()) return std::nullopt;
  const std::string hash = config::sha256_hex(plain_token);
  // The lookup is by the hash of the token: timing reveals nothing about a
  // valid token's text.
  const auto it = by_hash_.find(hash);
  if (it == by_hash_.end()) return std::nullopt;
  if (CRYPTO_memcmp(it->first.data(), hash.data(), hash.size()) != 0) return std::nullopt;
  return it->second;
}

std::string admin_error_json(std::string_view type, std::string_view code, std::string_view message,
                             std::string_view param) {
  nlohmann::json body{{"error",
                       {{"message", message},
                        {"type", type},
                        {"param", param.empty() ? nlohmann::json() : nlohmann::json(param)},
                        {"code", code}}}};
  return body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

AuthOutcome authorize(const AdminTokens& tokens, const Requirement& requirement, std::string_view authorization) {
  if (requirement.open) return {Principal{"", Role::kViewer}, 0, {}};
  const std::string_view token = tenancy::bearer_token(authorization);
  if (token.empty()) {
    return {std::nullopt, 401,
            admin_error_json("authentication_error", "missing_admin_token",
                             tokens.has_bootstrap()
                                 ? "This route needs an admin token: send 'Authorization: Bearer <admin token>'."
                                 : "This route needs an admin token, and none is configured: set "
                                   "admin.bootstrap_token in the config (see docs/operations.md).")};
  }
  auto principal = tokens.authenticate(token);
  if (!principal) {
    return {std::nullopt, 401,
            admin_error_json("authentication_error", "invalid_admin_token",
                             "The admin token is not valid (unknown or revoked). API keys of tenants are not admin "
                             "tokens.")};
  }
  if (static_cast<int>(principal->role) < static_cast<int>(requirement.role)) {
    return {std::nullopt, 403,
            admin_error_json("permission_error", "insufficient_role",
                             fmt::format("This route needs the {} role; the token has {}.", store::to_string(requirement.role),
                                         store::to_string(principal->role)))};
  }
  return {std::move(principal), 0, {}};
}

}  // namespace sluice::admin
