/// Checks that need the whole config: listeners that collide, duplicate
/// tenant ids, model names, API keys and route names, and tenants or routes
/// naming unknown models or tenants. Each duplicate error points at the
/// second occurrence and names the first.
#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <optional>

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

/// The names of `items` (by `name_of`); nothing when one failed to load:
/// it would make every reference to it look unknown, and its own error is
/// enough.
template <class T, class F>
std::optional<std::vector<std::string_view>> names_of(const std::vector<T>& items, F name_of) {
  std::vector<std::string_view> names;
  for (const auto& item : items) {
    const std::string& name = name_of(item);
    if (name.empty()) return std::nullopt;
    names.push_back(name);
  }
  return names;
}

void check_model_access(Reader& reader, const Config& config) {
  const auto names = names_of(config.models, [](const Model& m) -> const std::string& { return m.name; });
  if (!names) return;
  for (std::size_t t = 0; t < config.tenants.size(); ++t) {
    const auto& models = config.tenants[t].models;
    for (std::size_t m = 0; m < models.size(); ++m) {
      if (models[m] == "*") continue;
      check_known(reader, fmt::format("tenants[{}].models[{}]", t, m), "model", models[m], *names);
    }
    for (const auto& limits : config.tenants[t].model_limits) {
      check_known(reader, fmt::format("tenants[{}].model_limits.{}", t, limits.model), "model", limits.model, *names,
                  /*check_empty=*/true);
    }
  }
  const auto& ready = config.server.ready_models;
  for (std::size_t m = 0; m < ready.size(); ++m) {
    check_known(reader, fmt::format("server.ready_models[{}]", m), "model", ready[m], *names);
  }
}

void check_route_names(Reader& reader, const std::vector<Route>& routes) {
  std::map<std::string_view, std::size_t> seen;
  // A name the file does not give is the route's default, "routes[i]".
  auto key_of = [&reader](std::size_t i) {
    const std::string name_key = fmt::format("routes[{}].name", i);
    return reader.where(name_key).line != 0 ? name_key : fmt::format("routes[{}]", i);
  };
  for (std::size_t i = 0; i < routes.size(); ++i) {
    if (routes[i].name.empty()) continue;
    auto [it, inserted] = seen.emplace(routes[i].name, i);
    if (inserted) continue;
    const std::string key = key_of(i);
    reader.fail(reader.where(key), key,
                fmt::format("duplicate route name {}; first used by {}", quote(routes[i].name),
                            reader.place(key_of(it->second))));
  }
}

/// Split targets and mirrors name configured models; `match.tenants`
/// configured tenants. (`match.model` may be any name: a virtual model.)
void check_route_references(Reader& reader, const Config& config) {
  const auto models = names_of(config.models, [](const Model& m) -> const std::string& { return m.name; });
  const auto tenants = names_of(config.tenants, [](const Tenant& t) -> const std::string& { return t.id; });
  for (std::size_t r = 0; r < config.routes.size(); ++r) {
    const Route& route = config.routes[r];
    if (models) {
      // `model` wins when both are given (that is an error of its own).
      const bool plain = reader.where(fmt::format("routes[{}].model", r)).line != 0;
      for (std::size_t s = 0; s < route.split.size(); ++s) {
        const std::string key =
            plain ? fmt::format("routes[{}].model", r) : fmt::format("routes[{}].split[{}].model", r, s);
        check_known(reader, key, "model", route.split[s].model, *models);
      }
      if (route.mirror) {
        check_known(reader, fmt::format("routes[{}].mirror.model", r), "model", route.mirror->model, *models);
      }
    }
    if (tenants) {
      for (std::size_t t = 0; t < route.match.tenants.size(); ++t) {
        check_known(reader, fmt::format("routes[{}].match.tenants[{}]", r, t), "tenant", route.match.tenants[t],
                    *tenants);
      }
    }
  }
}

}  // namespace

/// Records `unknown <what> "x" (did you mean "y"?)`, or with the list of
/// configured ones, at `key` when `name` is not among `names`. An empty name
/// failed to load and was reported already, unless `check_empty`.
void check_known(Reader& reader, const std::string& key, std::string_view what, const std::string& name,
                 const std::vector<std::string_view>& names, bool check_empty) {
  if ((name.empty() && !check_empty) || std::find(names.begin(), names.end(), name) != names.end()) return;
  auto hint = closest_match(name, names);
  reader.fail(reader.where(key), key,
              hint ? fmt::format("unknown {} {} (did you mean \"{}\"?)", what, quote(name), *hint)
                   : fmt::format("unknown {} {}; configured {}s: {}", what, quote(name), what, join(names)));
}

void validate(Reader& reader, const Config& config) {
  check_listeners(reader, config.listen);
  check_tenant_ids(reader, config.tenants);
  check_model_names(reader, config.models);
  check_api_keys(reader, config.tenants);
  check_model_access(reader, config);
  check_route_names(reader, config.routes);
  check_route_references(reader, config);
  check_fleet(reader, config);
}

}  // namespace sluice::config
