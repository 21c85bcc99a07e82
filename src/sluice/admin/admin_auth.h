#pragma once
/// Who may do what on the admin listener. Every /admin route needs a bearer
/// admin token with a role: viewer reads, operator also changes the running
/// fleet (reload, drain, sleep, wake, move, faults), admin also manages
/// tenants, keys, tokens and reads the audit log. /healthz and /readyz are
/// open, /metrics too unless protected, so probes and Prometheus keep
/// working.
///
/// Tokens are known only by their SHA-256; a token set is an immutable
/// snapshot rebuilt when tokens change. Thread-safety: const members from
/// any thread.
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "sluice/net/asio.h"
#include "sluice/store/records.h"

namespace sluice::admin {

using store::Role;

/// An authenticated admin: the token's id ("bootstrap" for the config's) and role.
struct Principal {
  std::string id;
  Role role = Role::kViewer;
};

/// What a route needs: nothing, or at least a role.
struct Requirement {
  bool open = false;
  Role role = Role::kViewer;
};

/// The requirement of `method` on `path` (without the query).
Requirement required_role(net::http::verb method, std::string_view path, bool protect_metrics);

class AdminTokens {
 public:
  /// `bootstrap_sha256`: the config's token (role admin), "" for none.
  AdminTokens(std::string bootstrap_sha256, const std::vector<store::AdminTokenRecord>& issued);
  /// The principal of a plain token, or nullopt (unknown or revoked).
  std::optional<Principal> authenticate(std::string_view plain_token) const;
  bool has_bootstrap() const { return !bootstrap_.empty(); }

 private:
  std::string bootstrap_;
  std::unordered_map<std::string, Principal> by_hash_;
};

/// The outcome of the check: a principal, or the status and OpenAI-style
/// JSON body to answer with (401 or 403).
struct AuthOutcome {
  std::optional<Principal> principal;
  int status = 0;
  std::string body;
};

/// Checks `authorization` (the header value) against `requirement`.
AuthOutcome authorize(const AdminTokens& tokens, const Requirement& requirement, std::string_view authorization);

/// {"error":{"message","type","param","code"}} as sluice's admin API writes it.
std::string admin_error_json(std::string_view type, std::string_view code, std::string_view message,
                             std::string_view param = {});

}  // namespace sluice::admin
