#include "sluice/drill/api_key.h"

#include <algorithm>
#include <random>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

namespace sluice::drill {

namespace {

bool may_use(const config::Tenant& tenant, std::string_view model) {
  return std::any_of(tenant.models.begin(), tenant.models.end(),
                     [model](const std::string& m) { return m == "*" || m == model; });
}

}  // namespace

std::vector<std::string> env_key_names(const std::string& yaml_text) {
  std::vector<std::string> names;
  try {
    const YAML::Node root = YAML::Load(yaml_text);
    const YAML::Node tenants = root["tenants"];
    if (!tenants.IsSequence()) return names;
    for (const auto& tenant : tenants) {
      const YAML::Node keys = tenant["api_keys"];
      if (!keys.IsSequence()) continue;
      for (const auto& key : keys) {
        if (!key.IsMap() || !key["env"].IsScalar()) continue;
        const std::string name = key["env"].Scalar();
        if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
      }
    }
  } catch (const YAML::Exception&) {
    names.clear();
  }
  return names;
}

std::string fresh_api_key() {
  std::random_device random;
  return fmt::format("sk-drill-{:08x}{:08x}{:08x}{:08x}", random(), random(), random(), random());
}

std::expected<std::string, std::string> drill_api_key(const config::Config& config, std::string_view model,
                                                      const std::function<const char*(const char*)>& getenv) {
  const auto tenant = std::find_if(config.tenants.begin(), config.tenants.end(),
                                   [model](const config::Tenant& t) { return may_use(t, model); });
  if (tenant == config.tenants.end()) return std::unexpected(fmt::format("no tenant may use model {}", model));
  if (tenant->api_keys.empty()) return std::unexpected(fmt::format("tenant {} has no API key", tenant->id));
  const std::string& source = tenant->api_keys.front().source;
  constexpr std::string_view kEnv = "env:";
  if (!source.starts_with(kEnv)) {
    return std::unexpected(fmt::format("tenant {}'s first key is stored only as a SHA-256 hash; pass the plain key "
                                       "with --api-key, or give the tenant a key {{env: NAME}} first",
                                       tenant->id));
  }
  const std::string name = source.substr(kEnv.size());
  const char* value = getenv(name.c_str());
  if (value == nullptr || *value == '\0') {
    return std::unexpected(fmt::format("tenant {}'s key comes from ${}, which is not set", tenant->id, name));
  }
  return std::string(value);
}

}  // namespace sluice::drill
