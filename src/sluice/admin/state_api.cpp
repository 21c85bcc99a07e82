// Dispatch of the admin API over the store, and the tenant routes.
#include "sluice/admin/state_api.h"

#include <fmt/format.h>

#include <charconv>

#include "sluice/admin/api_support.h"
#include "sluice/store/tenant_json.h"

namespace sluice::admin {

using nlohmann::json;
using net::http::verb;

json tenant_json(const store::TenantRecord& r) {
  json j = store::tenant_to_json(r.tenant);
  j["disabled"] = r.disabled;
  j["source"] = "store";
  j["created_at"] = time_json(r.created_at);
  j["updated_at"] = time_json(r.updated_at);
  return j;
}

json config_tenant_json(const config::Tenant& t) {
  json j = store::tenant_to_json(t);
  j["disabled"] = false;
  j["source"] = "config";
  j["created_at"] = nullptr;
  j["updated_at"] = nullptr;
  return j;
}

StateApi::StateApi(store::Store& store, Hooks hooks) : store_(store), hooks_(std::move(hooks)) {
  if (!hooks_.now_ms) {
    hooks_.now_ms = [] {
      return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
    };
  }
}

AdminReply StateApi::handle(const AdminRequest& r) {
  const std::string_view path = r.path;
  if (path.starts_with("/admin/tenants")) return tenants(r, path.substr(14));
  if (path.starts_with("/admin/keys/")) return key_action(r, path.substr(12));
  if (path.starts_with("/admin/tokens")) return tokens(r, path.substr(13));
  if (path == "/admin/usage") {
    if (r.method != verb::get) return method_not_allowed("GET");
    const auto tenant = query_param(r.query, "tenant");
    return usage(r.query, tenant.value_or(""));
  }
  if (path == "/admin/audit") return audit(r);
  if (path == "/admin/failovers") return failovers(r);
  return not_found("route_not_found", fmt::format("no route for {}", path));
}

const config::Tenant* StateApi::config_tenant(const std::string& id, std::vector<config::Tenant>& holder) const {
  holder = hooks_.config_tenants ? hooks_.config_tenants() : std::vector<config::Tenant>{};
  for (const auto& t : holder)
    if (t.id == id) return &t;
  return nullptr;
}

store::AuditRecord StateApi::audit_record(const AdminRequest& r, std::string action, std::string target,
                                          const json& before, const json& after) const {
  return store::AuditRecord{now(), r.who.id, std::move(action), std::move(target),
                            before.is_null() ? "" : before.dump(), after.is_null() ? "" : after.dump()};
}

AdminReply StateApi::tenants(const AdminRequest& r, std::string_view rest) {
  if (rest.empty() || rest == "/") {
    if (r.method == verb::get) return list_tenants();
    if (r.method == verb::post) return create_tenant(r);
    return method_not_allowed("GET or POST");
  }
  if (rest.front() != '/') return not_found("route_not_found", "no such route");
  rest.remove_prefix(1);
  const std::size_t slash = rest.find('/');
  const std::string id(rest.substr(0, slash));
  const std::string_view sub = slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);
  if (sub.empty()) {
    if (r.method == verb::get) return get_tenant(id);
    if (r.method == verb::patch) return update_tenant(r, id, "update");
    if (r.method == verb::delete_) return delete_tenant(r, id);
    return method_not_allowed("GET, PATCH or DELETE");
  }
  if (sub == "disable" || sub == "enable") {
    if (r.method != verb::post) return method_not_allowed("POST");
    return update_tenant(r, id, sub);
  }
  if (sub == "keys") return tenant_keys(r, id);
  if (sub == "remaining") {
    if (r.method != verb::get) return method_not_allowed("GET");
    return remaining(id);
  }
  return not_found("route_not_found", "no such route");
}

AdminReply StateApi::list_tenants() {
  auto stored = store_.tenants();
  if (!stored) return store_failed(stored.error());
  json data = json::array();
  if (hooks_.config_tenants)
    for (const auto& t : hooks_.config_tenants()) data.push_back(config_tenant_json(t));
  for (const auto& t : *stored) data.push_back(tenant_json(t));
  return json_reply(200, {{"data", data}});
}

AdminReply StateApi::get_tenant(const std::string& id) {
  std::vector<config::Tenant> holder;
  if (const auto* t = config_tenant(id, holder)) return json_reply(200, config_tenant_json(*t));
  auto stored = store_.tenant(id);
  if (!stored) return store_failed(stored.error());
  if (!*stored) return not_found("tenant_not_found", fmt::format("No tenant \"{}\".", id));
  return json_reply(200, tenant_json(**stored));
}

AdminReply StateApi::create_tenant(const AdminRequest& r) {
  const json body = json::parse(r.body, nullptr, false);
  if (body.is_discarded()) return bad_request("The body is not valid JSON.", "body", "invalid_json");
  store::TenantRecord record;
  if (auto applied = store::apply_tenant_json(body, record.tenant, /*creating=*/true); !applied)
    return bad_request(applied.error().message, applied.error().param);
  std::vector<config::Tenant> holder;
  if (config_tenant(record.tenant.id, holder))
    return conflict("tenant_in_config", fmt::format("Tenant \"{}\" is declared in the config file; change it there.",
                                                    record.tenant.id));
  record.tenant.origin = "store";
  record.created_at = record.updated_at = now();
  const json after = tenant_json(record);
  if (auto w = store_.insert_tenant(record, audit_record(r, "tenant.create", record.tenant.id, nullptr, after)); !w) {
    if (w.error().conflict)
      return conflict("tenant_exists", fmt::format("Tenant \"{}\" exists.", record.tenant.id));
    return store_failed(w.error());
  }
  if (hooks_.changed) hooks_.changed();
  return json_reply(201, after);
}

AdminReply StateApi::update_tenant(const AdminRequest& r, const std::string& id, std::string_view action) {
  std::vector<config::Tenant> holder;
  if (config_tenant(id, holder))
    return conflict("tenant_in_config", fmt::format("Tenant \"{}\" is declared in the config file; change it there.", id));
  auto stored = store_.tenant(id);
  if (!stored) return store_failed(stored.error());
  if (!*stored) return not_found("tenant_not_found", fmt::format("No tenant \"{}\".", id));
  store::TenantRecord record = **stored;
  const json before = tenant_json(record);
  if (action == "update") {
    const json body = json::parse(r.body, nullptr, false);
    if (body.is_discarded()) return bad_request("The body is not valid JSON.", "body", "invalid_json");
    if (auto applied = store::apply_tenant_json(body, record.tenant, /*creating=*/false); !applied)
      return bad_request(applied.error().message, applied.error().param);
  } else {
    record.disabled = action == "disable";
  }
  record.updated_at = now();
  const json after = tenant_json(record);
  if (auto w = store_.update_tenant(record, audit_record(r, fmt::format("tenant.{}", action), id, before, after)); !w)
    return store_failed(w.error());
  if (hooks_.changed) hooks_.changed();
  return json_reply(200, after);
}

AdminReply StateApi::delete_tenant(const AdminRequest& r, const std::string& id) {
  std::vector<config::Tenant> holder;
  if (config_tenant(id, holder))
    return conflict("tenant_in_config", fmt::format("Tenant \"{}\" is declared in the config file; change it there.", id));
  auto stored = store_.tenant(id);
  if (!stored) return store_failed(stored.error());
  if (!*stored) return not_found("tenant_not_found", fmt::format("No tenant \"{}\".", id));
  if (auto w = store_.delete_tenant(id, now(), audit_record(r, "tenant.delete", id, tenant_json(**stored), nullptr)); !w)
    return store_failed(w.error());
  if (hooks_.changed) hooks_.changed();
  return json_reply(200, {{"id", id}, {"deleted", true}});
}

AdminReply StateApi::remaining(const std::string& tenant) {
  json r = hooks_.remaining ? hooks_.remaining(tenant) : json();
  if (r.is_null()) return not_found("tenant_not_found", fmt::format("No tenant \"{}\".", tenant));
  return json_reply(200, r);
}

std::expected<std::int64_t, AdminReply> StateApi::since_param(std::string_view query) const {
  const auto s = query_param(query, "since");
  if (!s) return 0;
  const auto t = parse_time_or_ago(*s, now());
  if (!t)
    return std::unexpected(
        bad_request(fmt::format("since: expected an RFC 3339 time or a duration such as 7d, got \"{}\"", *s), "since"));
  return *t;
}

AdminReply StateApi::failovers(const AdminRequest& r) {
  if (r.method != verb::get) return method_not_allowed("GET");
  const auto since = since_param(r.query);
  if (!since) return since.error();
  auto rows = store_.failovers(*since, 1000);
  if (!rows) return store_failed(rows.error());
  json data = json::array();
  for (const auto& text : *rows) data.push_back(json::parse(text, nullptr, false));
  return json_reply(200, {{"data", data}});
}

AdminReply StateApi::audit(const AdminRequest& r) {
  if (r.method != verb::get) return method_not_allowed("GET");
  const auto since = since_param(r.query);
  if (!since) return since.error();
  std::int64_t limit = 100;
  if (auto l = query_param(r.query, "limit")) {
    const auto [end, ec] = std::from_chars(l->data(), l->data() + l->size(), limit);
    if (ec != std::errc() || end != l->data() + l->size()) limit = -1;
    if (limit < 1 || limit > 10000) return bad_request("limit: expected an integer from 1 to 10000", "limit");
  }
  auto rows = store_.audit(*since, limit);
  if (!rows) return store_failed(rows.error());
  json data = json::array();
  for (const auto& a : *rows) {
    data.push_back({{"at", time_json(a.at)},
                    {"actor", a.actor},
                    {"action", a.action},
                    {"target", a.target},
                    {"before", a.before.empty() ? json() : json::parse(a.before, nullptr, false)},
                    {"after", a.after.empty() ? json() : json::parse(a.after, nullptr, false)}});
  }
  return json_reply(200, {{"data", data}});
}

}  // namespace sluice::admin
