#pragma once
/// YAML → Config, validated as a whole. Every problem is reported, not just the
/// first, each as `file:line:col: key.path: expected …, got …`.
#include <expected>
#include <string>
#include <vector>

#include "sluice/config/config.h"

namespace sluice::config {

struct ConfigError {
  std::string file;
  int line = 0;    // 1-based; 0 = unknown
  int column = 0;  // 1-based; 0 = unknown
  std::string key; // e.g. "tenants[1].limits.rpm"
  std::string message;  // e.g. `expected a positive integer, got "lots"`
  /// "file:line:col: key: message"; the position is left out when unknown
  /// (line 0) and the key when empty (YAML syntax errors, unreadable files).
  std::string to_string() const;
};

using ConfigErrors = std::vector<ConfigError>;

/// Loads and validates a file. Environment variables named by `env:` keys are
/// read through `getenv`.
std::expected<Config, ConfigErrors> load_config_file(const std::string& path);
/// Same, from text (for tests); `file_name` is used in messages.
std::expected<Config, ConfigErrors> load_config_text(const std::string& text, const std::string& file_name);

/// One line per listener, tenant and model, for `check-config`. Never prints
/// key hashes or secrets.
std::string summarize(const Config& config);

}  // namespace sluice::config
