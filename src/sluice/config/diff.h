#pragma once
/// What changed between two loaded configs, in human terms (for a hot
/// reload's log line and its admin answer), and which of those changes a
/// reload cannot apply to a running gateway. Pure functions.
///
/// Never prints secrets: API keys are counted, not shown (not even their
/// hashes), and server.cache_salt_secret is reported as changed without
/// its value.
#include <string>
#include <vector>

#include "sluice/config/config.h"

namespace sluice::config {

struct ConfigDiff {
  /// By id (tenants) or name (models, routes).
  std::vector<std::string> tenants_added, tenants_removed, tenants_changed;
  std::vector<std::string> models_added, models_removed, models_changed;
  std::vector<std::string> routes_added, routes_removed, routes_changed;
  /// "listen.api", "server.max_body_bytes", "server.retry.retries", …
  std::vector<std::string> server_changed;
  /// One line per change, in config order: "tenant added: initech",
  /// "tenant acme: limits.rpm 60 -> 120", "tenant acme: api_keys 1 -> 2 keys
  /// (1 added)", "model small: scheduler.max_engine_waiting 4 -> 8",
  /// "model big: static endpoints + http://10.0.0.3:8000",
  /// "route chat: split small:1 -> small:1, big:1", "routes reordered",
  /// "server.max_body_bytes 4194304 -> 1048576".
  std::vector<std::string> lines;

  bool empty() const { return lines.empty(); }
};

/// Everything that differs between `old` and `next` (source_path aside).
ConfigDiff diff_configs(const Config& old, const Config& next);

/// The changes a hot reload cannot apply (a restart can), one reason each:
/// listen addresses, server.threads, server.access_log,
/// server.cache_salt_secret, the model list (models added, removed,
/// renamed or reordered: queues are per model position), a model's source,
/// a sim model's fleet shape (instances, profile, speedup, seed,
/// backup_instances), a model's fair-queue settings (scheduler.policy,
/// w_input, w_output, batch_promote_after), scheduler.engine_metrics_interval
/// and circuit_breaker (fixed for an instance's lifetime). Empty when a
/// reload can apply `next`.
std::vector<std::string> needs_restart(const Config& old, const Config& next);

}  // namespace sluice::config
