#pragma once
/// Which API key the drill's load sends. Configs store keys as SHA-256
/// hashes or as `{env: NAME}`; only the latter can be read back, so the
/// drill uses the first key of the first tenant that may use the model, and
/// that key must come from an environment variable (else --api-key). A
/// drill that starts its own gateway can fill an unset variable with a
/// fresh key first: the gateway, its child, inherits it.
#include <expected>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "sluice/config/config.h"

namespace sluice::drill {

/// The `env:` variable names of the tenants' keys in a config file's text,
/// in order, without repeats. YAML it cannot read gives none (the config
/// loader reports it properly).
std::vector<std::string> env_key_names(const std::string& yaml_text);

/// A new random key, "sk-drill-" and 32 hex digits.
std::string fresh_api_key();

/// The key for `model`, read through `getenv`; an error says which tenant's
/// key is only a hash, or that no tenant may use the model.
std::expected<std::string, std::string> drill_api_key(const config::Config& config, std::string_view model,
                                                      const std::function<const char*(const char*)>& getenv);

}  // namespace sluice::drill
