#pragma once
/// Helpers for the config tests: load YAML text and get its errors as
/// `file:line:col: key: message` strings.
#include <string>
#include <vector>

#include "sluice/config/loader.h"

namespace sluice::config::testing {

/// SHA-256 of "test-key", as it appears in the fixtures below.
inline constexpr const char* kKeyHash = "sha256:62af8704764faf8ea82fc61ce9c4c3908b6cb97d463a634e9e587d7c885db0ef";

/// One tenant (`a`, key $KEY) and one static model (`m`): a config to add a section to.
inline constexpr const char* kOneStaticModel =
    "tenants:\n"
    "  - id: a\n"
    "    api_keys: [$KEY]\n"
    "models:\n"
    "  - name: m\n"
    "    source: static\n"
    "    static: {endpoints: [http://127.0.0.1:9]}\n";

/// `text` with every "$KEY" replaced by kKeyHash.
inline std::string with_key(std::string text) {
  for (auto at = text.find("$KEY"); at != std::string::npos; at = text.find("$KEY")) text.replace(at, 4, kKeyHash);
  return text;
}

/// The errors of loading `yaml` as "t.yaml", rendered; empty if it loaded.
inline std::vector<std::string> errors_of(const std::string& yaml) {
  std::vector<std::string> out;
  auto result = load_config_text(with_key(yaml), "t.yaml");
  if (!result) {
    for (const auto& error : result.error()) out.push_back(error.to_string());
  }
  return out;
}

/// Errors one per line, as `file:line:col: key: message`.
inline std::string render(const ConfigErrors& errors) {
  std::string out;
  for (const auto& e : errors) out += e.to_string() + "\n";
  return out;
}

}  // namespace sluice::config::testing
