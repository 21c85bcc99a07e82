// Admin tokens: issue (shown once), list, revoke. The config's bootstrap
// token is listed but cannot be revoked here (it lives in the config).
#include <fmt/format.h>

#include "sluice/admin/api_support.h"
#include "sluice/admin/state_api.h"
#include "sluice/config/api_key_hash.h"

namespace sluice::admin {

using nlohmann::json;
using net::http::verb;

namespace {
json token_json(const store::AdminTokenRecord& t) {
  return {{"id", t.id},
          {"label", t.label},
          {"role", store::to_string(t.role)},
          {"prefix", t.prefix},
          {"created_at", time_json(t.created_at)},
          {"revoked_at", time_json(t.revoked_at)}};
}
}  // namespace

AdminReply StateApi::tokens(const AdminRequest& r, std::string_view rest) {
  if (rest.empty() || rest == "/") {
    if (r.method == verb::get) {
      auto rows = store_.admin_tokens();
      if (!rows) return store_failed(rows.error());
      json data = json::array();
      for (const auto& t : *rows) data.push_back(token_json(t));
      return json_reply(200, {{"data", data}});
    }
    if (r.method != verb::post) return method_not_allowed("GET or POST");
    const json body = json::parse(r.body, nullptr, false);
    if (body.is_discarded() || !body.is_object()) return bad_request("The body is not a JSON object.", "body", "invalid_json");
    for (const auto& [field, value] : body.items()) {
      if (field != "role" && field != "label")
        return bad_request(fmt::format("{}: unknown field; expected one of: role, label", field), field);
    }
    store::AdminTokenRecord t;
    const std::string role = body.value("role", std::string());
    if (!store::parse_role(role, t.role))
      return bad_request(fmt::format("role: expected \"viewer\", \"operator\" or \"admin\", got {}",
                                     body.contains("role") ? body["role"].dump() : "nothing"),
                         "role");
    if (body.contains("label")) {
      if (!body["label"].is_string() || body["label"].get<std::string>().size() > 200)
        return bad_request("label: expected a string of at most 200 characters", "label");
      t.label = body["label"].get<std::string>();
    }
    const std::string plain = "sla-" + random_hex(20);
    t.id = "tok_" + random_hex(8);
    t.sha256 = config::sha256_hex(plain);
    t.prefix = plain.substr(0, 8);
    t.created_at = now();
    json shown = token_json(t);
    if (auto w = store_.insert_admin_token(t, audit_record(r, "token.issue", t.id, nullptr, shown)); !w)
      return store_failed(w.error());
    if (hooks_.tokens_changed) hooks_.tokens_changed();
    shown["token"] = plain;  // shown once
    return json_reply(201, shown);
  }
  // /{id}/revoke
  if (rest.front() != '/') return not_found("route_not_found", "no such route");
  rest.remove_prefix(1);
  const std::size_t slash = rest.find('/');
  if (slash == std::string_view::npos || rest.substr(slash + 1) != "revoke")
    return not_found("route_not_found", "no such route");
  if (r.method != verb::post) return method_not_allowed("POST");
  const std::string id(rest.substr(0, slash));
  if (id == "bootstrap")
    return conflict("token_in_config", "The bootstrap token is set in the config (admin.bootstrap_token); change it there.");
  auto revoked = store_.revoke_admin_token(id, now(), audit_record(r, "token.revoke", id, nullptr, nullptr));
  if (!revoked) return store_failed(revoked.error());
  if (!*revoked) return not_found("token_not_found", fmt::format("No live admin token \"{}\".", id));
  if (hooks_.tokens_changed) hooks_.tokens_changed();
  return json_reply(200, {{"id", id}, {"revoked", true}});
}

}  // namespace sluice::admin
