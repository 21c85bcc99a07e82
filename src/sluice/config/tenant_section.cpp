/// The `tenants` section: ids, API keys (stored hashed), model access,
/// weight, priority and limits.
#include <fmt/format.h>

#include <array>

#include "sluice/config/api_key_hash.h"
#include "sluice/config/sections.h"
#include "sluice/config/suggest.h"

namespace sluice::config {
namespace {

constexpr std::string_view kSha256Prefix = "sha256:";
constexpr std::array<std::string_view, 3> kPriorities = {"critical", "standard", "batch"};

/// [a-z0-9][a-z0-9_-]{0,62}: safe in metric labels, log lines and URLs.
bool is_tenant_id(std::string_view id) {
  if (id.empty() || id.size() > 63) return false;
  for (std::size_t i = 0; i < id.size(); ++i) {
    const char c = id[i];
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (!alnum && (i == 0 || (c != '_' && c != '-'))) return false;
  }
  return true;
}

std::optional<Priority> parse_priority(std::string_view text) {
  if (text == "critical") return Priority::kCritical;
  if (text == "standard") return Priority::kStandard;
  if (text == "batch") return Priority::kBatch;
  return std::nullopt;
}


void read_api_keys(Reader& reader, const MapReader& m, Tenant& tenant) {
  if (!m.require("api_keys")) return;
  const YAML::Node list = m.get("api_keys");
  const std::string key = m.key_of("api_keys");
  if (!reader.expect_list(list, key, m.location_of_child("api_keys"))) return;
  if (list.size() == 0) {
    reader.fail(m.location_of_child("api_keys"), key, "expected at least one API key");
    return;
  }
  for (std::size_t i = 0; i < list.size(); ++i) {
    const std::string item = fmt::format("{}[{}]", key, i);
    // A key that fails keeps its slot (empty hash) so indices match the file;
    // a config with errors is never returned.
    tenant.api_keys.push_back(read_api_key(reader, list[i], item, reader.where(item)).value_or(ApiKey{}));
  }
}

void read_model_access(Reader& reader, const MapReader& m, Tenant& tenant) {
  if (!m.has("models")) {
    tenant.models = {"*"};
    return;
  }
  const YAML::Node list = m.get("models");
  const std::string key = m.key_of("models");
  if (!reader.expect_list(list, key, m.location_of_child("models"))) return;
  if (list.size() == 0) {
    reader.fail(m.location_of_child("models"), key, "expected at least one model name, or \"*\" for all models");
    return;
  }
  for (std::size_t i = 0; i < list.size(); ++i) {
    const std::string item = fmt::format("{}[{}]", key, i);
    // An entry that fails keeps its slot (empty) so indices match the file.
    tenant.models.push_back(reader.string(list[i], item, reader.where(item), /*allow_empty=*/false).value_or(""));
  }
}

void read_limits_map(Reader& reader, const MapReader& l, TenantLimits& limits) {
  set_if(limits.rpm, l.integer("rpm", 1, kNoMax));
  set_if(limits.tpm, l.integer("tpm", 1, kNoMax));
  set_if(limits.max_concurrency, l.integer("max_concurrency", 1, kNoMax));
  set_if(limits.max_queue, l.integer("max_queue", 0, kNoMax));
  set_if(limits.max_queue_wait, l.duration("max_queue_wait"));
  set_if(limits.reserved_concurrency, l.integer("reserved_concurrency", 0, kNoMax));
  set_if(limits.concurrency_cap, l.integer("concurrency_cap", 1, kNoMax));
  if (limits.reserved_concurrency && limits.concurrency_cap && *limits.reserved_concurrency > *limits.concurrency_cap) {
    reader.fail(l.location_of_child("reserved_concurrency"), l.key_of("reserved_concurrency"),
                fmt::format("must not exceed concurrency_cap ({})", *limits.concurrency_cap));
  }
}

void read_limits(Reader& reader, const MapReader& m, TenantLimits& limits) {
  if (!m.has("limits")) return;
  MapReader l = m.child("limits", {"rpm", "tpm", "max_concurrency", "max_queue", "max_queue_wait",
                                   "reserved_concurrency", "concurrency_cap", "budget"});
  read_limits_map(reader, l, limits);
  // The old single spend cap moved to `budgets:` (with unit and period); an
  // old config must not silently lose its cap.
  l.forbid("budget", "here: spend caps moved to the tenant's `budgets:` list, use budgets: "
                     "[{limit: 100, unit: usd, period: month}] instead");
}

/// model_limits: {model-name: {rpm: …, …}, …}
void read_model_limits(Reader& reader, const MapReader& m, std::vector<ModelLimits>& out) {
  if (!m.has("model_limits")) return;
  const YAML::Node node = m.get("model_limits");
  const std::string key = m.key_of("model_limits");
  if (!node.IsMap()) {
    reader.fail(m.location_of_child("model_limits"), key,
                fmt::format("expected a map of model name to limits, got {}", describe(node)));
    return;
  }
  for (const auto& item : node) {
    const std::string model = item.first.Scalar();
    const std::string item_key = fmt::format("{}.{}", key, model);
    Location at = location_of(item.first);
    if (at.line == 0) at = m.location_of_child("model_limits");
    reader.remember(item_key, at);
    MapReader l(reader, item.second, item_key, at,
                {"rpm", "tpm", "max_concurrency", "max_queue", "max_queue_wait", "reserved_concurrency",
                 "concurrency_cap"});
    if (!l.is_map()) continue;
    ModelLimits limits{model, {}};
    read_limits_map(reader, l, limits.limits);
    out.push_back(std::move(limits));
  }
}

Tenant read_tenant(Reader& reader, const YAML::Node& node, const std::string& key, Location at) {
  Tenant tenant;
  MapReader m(reader, node, key, at, {"id", "name", "api_keys", "models", "weight", "priority", "max_priority", "limits", "model_limits", "gpu_quota", "budgets"});
  if (!m.is_map()) return tenant;
  if (m.require("id")) {
    if (auto id = m.string("id")) {
      if (!is_tenant_id(*id)) {
        reader.fail(m.location_of_child("id"), m.key_of("id"),
                    fmt::format("expected a tenant id matching [a-z0-9][a-z0-9_-]{{0,62}}, got {}", quote(*id)));
      }
      tenant.id = std::move(*id);
    }
  }
  tenant.display_name = m.string("name").value_or(tenant.id);
  read_api_keys(reader, m, tenant);
  read_model_access(reader, m, tenant);
  set_if(tenant.weight, m.positive_number("weight"));
  if (auto text = m.string("priority")) {
    if (auto priority = parse_priority(*text)) {
      tenant.priority = *priority;
    } else {
      reader.fail(m.location_of_child("priority"), m.key_of("priority"), expected_one_of(kPriorities, *text));
    }
  }
  tenant.max_priority = tenant.priority;
  if (auto text = m.string("max_priority")) {
    if (auto priority = parse_priority(*text)) {
      tenant.max_priority = *priority;
      if (*priority > tenant.priority) {
        reader.fail(m.location_of_child("max_priority"), m.key_of("max_priority"),
                    fmt::format("must be at least the tenant's priority ({})", to_string(tenant.priority)));
      }
    } else {
      reader.fail(m.location_of_child("max_priority"), m.key_of("max_priority"), expected_one_of(kPriorities, *text));
    }
  }
  read_limits(reader, m, tenant.limits);
  read_model_limits(reader, m, tenant.model_limits);
  read_gpu_quota(m, tenant.gpu_quota);
  read_budgets(reader, m, tenant.budgets);
  return tenant;
}

}  // namespace

std::optional<ApiKey> read_api_key(Reader& reader, const YAML::Node& node, const std::string& key, Location at) {
  if (node.IsMap()) {
    auto env = reader.env(node, key, at);
    if (!env) return std::nullopt;
    std::string hash = sha256_hex(env->value);
    if (hash.empty()) {
      reader.fail(at, key, "could not hash the key (OpenSSL SHA-256 failed)");
      return std::nullopt;
    }
    return ApiKey{std::move(hash), "env:" + env->name};
  }
  if (node.IsScalar() && node.Scalar().starts_with(kSha256Prefix)) {
    const std::string_view hex = std::string_view(node.Scalar()).substr(kSha256Prefix.size());
    if (!is_sha256_hex(hex)) {
      reader.fail(at, key, fmt::format("expected \"sha256:\" and 64 lower-case hex digits, got {}", describe(node)));
      return std::nullopt;
    }
    return ApiKey{std::string(hex), "sha256"};
  }
  // A scalar without the prefix may be a plain key pasted in: never echo it.
  reader.fail(at, key,
              node.IsScalar()
                  ? std::string("expected \"sha256:<64 lower-case hex digits>\" or {env: NAME}; plain keys are not "
                                "accepted in the file (hash one with: printf %s \"$KEY\" | sha256sum)")
                  : fmt::format("expected \"sha256:<64 lower-case hex digits>\" or {{env: NAME}}, got {}",
                                describe(node)));
  return std::nullopt;
}

void read_tenants(Reader& reader, const MapReader& root, std::vector<Tenant>& tenants) {
  // Optional: tenants may all be managed through the admin API (the store).
  if (!root.has("tenants")) return;
  const YAML::Node list = root.get("tenants");
  const Location at = root.location_of_child("tenants");
  if (!reader.expect_list(list, "tenants", at)) return;
  for (std::size_t i = 0; i < list.size(); ++i) {
    const std::string key = fmt::format("tenants[{}]", i);
    tenants.push_back(read_tenant(reader, list[i], key, reader.where(key)));
  }
}

}  // namespace sluice::config
