// API keys: issue (the plain key is shown once), list, revoke, rotate.
#include <fmt/format.h>

#include "sluice/admin/api_support.h"
#include "sluice/admin/state_api.h"
#include "sluice/config/api_key_hash.h"
#include "sluice/store/tenant_json.h"

namespace sluice::admin {

using nlohmann::json;
using net::http::verb;

namespace {

constexpr std::int64_t kDefaultGraceMs = 24LL * 3600 * 1000;

/// A fresh key: "sk-sluice-" and 32 random hex digits (128 bits).
std::string new_plain_key() { return "sk-sluice-" + random_hex(16); }

store::KeyRecord new_key(const std::string& tenant, const std::string& plain, std::int64_t now) {
  store::KeyRecord k;
  k.id = "key_" + random_hex(8);
  k.tenant_id = tenant;
  k.sha256 = config::sha256_hex(plain);
  k.prefix = plain.substr(0, 14);
  k.created_at = now;
  return k;
}

}  // namespace

json key_json(const store::KeyRecord& k) {
  return {{"id", k.id},
          {"tenant", k.tenant_id},
          {"label", k.label},
          {"prefix", k.prefix},
          {"created_at", time_json(k.created_at)},
          {"expires_at", time_json(k.expires_at)},
          {"revoked_at", time_json(k.revoked_at)},
          {"last_used_at", time_json(k.last_used_at)},
          {"budgets", store::budgets_to_json(k.budgets)}};
}

AdminReply StateApi::tenant_keys(const AdminRequest& r, const std::string& tenant) {
  if (r.method != verb::get && r.method != verb::post) return method_not_allowed("GET or POST");
  auto stored = store_.tenant(tenant);
  if (!stored) return store_failed(stored.error());
  if (!*stored) {
    std::vector<config::Tenant> holder;
    if (config_tenant(tenant, holder))
      return conflict("tenant_in_config",
                      fmt::format("Tenant \"{}\" is declared in the config file; its keys are there too.", tenant));
    return not_found("tenant_not_found", fmt::format("No tenant \"{}\".", tenant));
  }
  if (r.method == verb::post) return issue_key(r, tenant);
  auto keys = store_.keys(tenant);
  if (!keys) return store_failed(keys.error());
  json data = json::array();
  for (const auto& k : *keys) data.push_back(key_json(k));
  return json_reply(200, {{"data", data}});
}

AdminReply StateApi::issue_key(const AdminRequest& r, const std::string& tenant) {
  const json body = r.body.empty() ? json::object() : json::parse(r.body, nullptr, false);
  if (body.is_discarded() || !body.is_object()) return bad_request("The body is not a JSON object.", "body", "invalid_json");
  for (const auto& [field, value] : body.items()) {
    if (field != "label" && field != "expires_in" && field != "budgets")
      return bad_request(fmt::format("{}: unknown field; expected one of: label, expires_in, budgets", field), field);
  }
  const std::string plain = new_plain_key();
  store::KeyRecord key = new_key(tenant, plain, now());
  if (body.contains("label")) {
    if (!body["label"].is_string() || body["label"].get<std::string>().size() > 200)
      return bad_request("label: expected a string of at most 200 characters", "label");
    key.label = body["label"].get<std::string>();
  }
  if (body.contains("expires_in")) {
    const auto ms = body["expires_in"].is_string() ? store::parse_duration_ms(body["expires_in"].get<std::string>())
                                                   : std::nullopt;
    if (!ms) return bad_request("expires_in: expected a duration such as \"30d\" or \"12h\"", "expires_in");
    key.expires_at = key.created_at + *ms;
  }
  if (body.contains("budgets")) {
    auto budgets = store::budgets_from_json(body["budgets"], "budgets");
    if (!budgets) return bad_request(budgets.error().message, budgets.error().param);
    key.budgets = *budgets;
  }
  json shown = key_json(key);
  if (auto w = store_.insert_key(key, audit_record(r, "key.issue", key.id, nullptr, shown)); !w)
    return store_failed(w.error());
  if (hooks_.changed) hooks_.changed();
  shown["key"] = plain;  // the only time the plain key is ever shown
  return json_reply(201, shown);
}

AdminReply StateApi::key_action(const AdminRequest& r, std::string_view rest) {
  const std::size_t slash = rest.find('/');
  if (slash == std::string_view::npos) {
    if (r.method != verb::get) return method_not_allowed("GET");
    auto key = store_.key(std::string(rest));
    if (!key) return store_failed(key.error());
    if (!*key) return not_found("key_not_found", fmt::format("No key \"{}\".", rest));
    return json_reply(200, key_json(**key));
  }
  const std::string id(rest.substr(0, slash));
  const std::string_view action = rest.substr(slash + 1);
  if (action != "revoke" && action != "rotate") return not_found("route_not_found", "no such route");
  if (r.method != verb::post) return method_not_allowed("POST");
  auto found = store_.key(id);
  if (!found) return store_failed(found.error());
  if (!*found) return not_found("key_not_found", fmt::format("No key \"{}\".", id));
  store::KeyRecord old = **found;
  if (old.revoked_at != 0) return conflict("key_revoked", fmt::format("Key \"{}\" is already revoked.", id));
  const json before = key_json(old);
  if (action == "revoke") {
    if (auto w = store_.revoke_key(id, now(), audit_record(r, "key.revoke", id, before, nullptr)); !w)
      return store_failed(w.error());
    old.revoked_at = now();
    if (hooks_.changed) hooks_.changed();
    return json_reply(200, key_json(old));
  }
  // Rotate: a new key now, the old one valid for the grace period.
  const json body = r.body.empty() ? json::object() : json::parse(r.body, nullptr, false);
  if (body.is_discarded() || !body.is_object()) return bad_request("The body is not a JSON object.", "body", "invalid_json");
  std::int64_t grace = kDefaultGraceMs;
  if (body.contains("grace")) {
    const auto ms = body["grace"].is_string() ? store::parse_duration_ms(body["grace"].get<std::string>()) : std::nullopt;
    if (!ms) return bad_request("grace: expected a duration such as \"24h\"", "grace");
    grace = *ms;
  }
  const std::string plain = new_plain_key();
  store::KeyRecord next = new_key(old.tenant_id, plain, now());
  next.label = old.label;
  next.budgets = old.budgets;
  const std::int64_t old_expiry = old.expires_at != 0 ? std::min(old.expires_at, now() + grace) : now() + grace;
  json shown = key_json(next);
  json after = {{"old", before}, {"new", shown}, {"old_expires_at", time_json(old_expiry)}};
  if (auto w = store_.rotate_key(id, old_expiry, next, audit_record(r, "key.rotate", id, before, after)); !w)
    return store_failed(w.error());
  if (hooks_.changed) hooks_.changed();
  shown["key"] = plain;
  shown["replaces"] = id;
  shown["replaced_key_expires_at"] = time_json(old_expiry);
  return json_reply(201, shown);
}

}  // namespace sluice::admin
