/// Checks that need the whole config: listeners that collide, duplicate
/// tenant ids, model names and API keys, and tenants naming unknown models.
/// Each error points at the second occurrence and names the first.
#include <fmt/format.h>

#include <map>

#include "sluice/config/sections.h"
#include "sluice/config/suggest.h"
#include "sluice/config/value_text.h"

namespace sluice::config {
namespace {

bool is_wildcard(std::string_view host) { return host == "0.0.0.0" || host == "::" || host == "*"; }

/// Both bind the same port on overlapping addresses. Port 0 is "any free
/// port", which never collides.
bool collide(const Endpoint& a, const Endpoint& b) {
  return a.port != 0 && a.port == b.port && (a.host == b.host || is_wildcard(a.host) || is_wildcard(b.host));
}

void check_listeners(Reader& reader, const ListenConfig& listen) {
  if (!collide(listen.api, listen.admin)) return;
  const bool api_written = reader.where("listen.api").line != 0;
  const bool admin_written = reader.where("listen.admin").line != 0;
  // Point at whichever the file spells out (admin when both are).
  const std::string key = admin_written || !api_written ? "listen.admin" : "listen.api";
  const std::string other = key == "listen.admin" ? "listen.api" : "listen.admin";
  const Endpoint& other_endpoint = key == "listen.admin" ? listen.api : listen.admin;
  const std::string other_place = reader.where(other).line != 0
                                      ? reader.place(other)
                                      : fmt::format("{} (default {})", other, format_endpoint(other_endpoint));
  reader.fail(reader.where(key), key, fmt::format("must differ from {}", other_place));
}

void check_tenant_ids(Reader& reader, const std::vector<Tenant>& tenants) {
  std::map<std::string_view, std::size_t> seen;
  for (std::size_t i = 0; i < tenants.size(); ++i) {
    if (tenants[i].id.empty()) continue;
    auto [it, inserted] = seen.emplace(tenants[i].id, i);
    if (inserted) continue;
    const std::string key = fmt::format("tenants[{}].id", i);
    reader.fail(reader.where(key), key,
                fmt::format("duplicate tenant id {}; first defined at {}", quote(tenants[i].id),
                            reader.place(fmt::format("tenants[{}].id", it->second))));
  }
}

void check_model_names(Reader& reader, const std::vector<Model>& models) {
  std::map<std::string_view, std::size_t> seen;
  for (std::size_t i = 0; i < models.size(); ++i) {
    if (models[i].name.empty()) continue;
    auto [it, inserted] = seen.emplace(models[i].name, i);
    if (inserted) continue;
    const std::string key = fmt::format("models[{}].name", i);
    reader.fail(reader.where(key), key,
                fmt::format("duplicate model name {}; first defined at {}", quote(models[i].name),
                            reader.place(fmt::format("models[{}].name", it->second))));
  }
}

void check_api_keys(Reader& reader, const std::vector<Tenant>& tenants) {
  struct First {
    std::size_t tenant;
    std::size_t key;
  };
  std::map<std::string_view, First> seen;
  for (std::size_t t = 0; t < tenants.size(); ++t) {
    for (std::size_t k = 0; k < tenants[t].api_keys.size(); ++k) {
      const std::string& hash = tenants[t].api_keys[k].sha256_hex;
      if (hash.empty()) continue;  // failed to load; already reported
      auto [it, inserted] = seen.emplace(hash, First{t, k});
      if (inserted) continue;
      const std::string key = fmt::format("tenants[{}].api_keys[{}]", t, k);
      const std::string first = reader.place(fmt::format("tenants[{}].api_keys[{}]", it->second.tenant, it->second.key));
      reader.fail(reader.where(key), key,
                  it->second.tenant == t
                      ? fmt::format("the same API key is listed twice; first at {}", first)
                      : fmt::format("the same API key is already used by tenant {} at {}",
                                    quote(tenants[it->second.tenant].id), first));
    }
  }
}

void check_model_access(Reader& reader, const Config& config) {
  std::vector<std::string_view> names;
  for (const auto& model : config.models) {
    // A model whose name failed to load would make every reference to it
    // look unknown; its own error is enough.
    if (model.name.empty()) return;
    names.push_back(model.name);
  }
  for (std::size_t t = 0; t < config.tenants.size(); ++t) {
    const auto& models = config.tenants[t].models;
    for (std::size_t m = 0; m < models.size(); ++m) {
      if (models[m].empty() || models[m] == "*" || config.find_model(models[m]) != nullptr) continue;
      const std::string key = fmt::format("tenants[{}].models[{}]", t, m);
      auto hint = closest_match(models[m], names);
      reader.fail(reader.where(key), key,
                  hint ? fmt::format("unknown model {} (did you mean \"{}\"?)", quote(models[m]), *hint)
                       : fmt::format("unknown model {}; configured models: {}", quote(models[m]), join(names)));
    }
    for (const auto& limits : config.tenants[t].model_limits) {
      if (config.find_model(limits.model) != nullptr) continue;
      const std::string key = fmt::format("tenants[{}].model_limits.{}", t, limits.model);
      auto hint = closest_match(limits.model, names);
      reader.fail(reader.where(key), key,
                  hint ? fmt::format("unknown model {} (did you mean \"{}\"?)", quote(limits.model), *hint)
                       : fmt::format("unknown model {}; configured models: {}", quote(limits.model), join(names)));
    }
  }
}

}  // namespace

void validate(Reader& reader, const Config& config) {
  check_listeners(reader, config.listen);
  check_tenant_ids(reader, config.tenants);
  check_model_names(reader, config.models);
  check_api_keys(reader, config.tenants);
  check_model_access(reader, config);
}

}  // namespace sluice::config
