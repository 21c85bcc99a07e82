#pragma once
/// `store:` (where durable state lives) and `admin:` (who may use the admin
/// listener): plain values of the config (config.h).
#include <chrono>
#include <cstdint>
#include <string>

#include "sluice/core/clock.h"

namespace sluice::config {

/// Where durable state lives (store/store.h). `url`: "sqlite:PATH" (relative
/// paths are relative to the config file's directory), "sqlite::memory:",
/// or a PostgreSQL URI "postgresql://user@host:port/db".
struct StoreConfig {
  std::string url = "sqlite:sluice.db";
  /// Finished requests' usage is written to the ledger in one transaction
  /// this often (group commit): a kill -9 loses at most this much usage.
  core::Duration commit_interval = std::chrono::milliseconds(200);
  /// Usage rows held in memory while the database is unreachable; above it
  /// rows are dropped and counted (sluice_usage_dropped_total).
  std::int64_t usage_buffer = 100000;
  /// How often the store is polled for tenant and key changes made by
  /// another replica (changes made through this gateway apply at once).
  core::Duration poll_interval = std::chrono::seconds(1);
  /// Record every finished request in the usage ledger. Off: no usage rows
  /// (no billing, no usage reports, budgets restart from zero), for
  /// gateways whose usage is accounted elsewhere.
  bool usage_ledger = true;

  bool operator==(const StoreConfig&) const = default;
};

/// Who may use the admin listener (admin/admin_auth.h).
struct AdminConfig {
  /// SHA-256 (hex) of the bootstrap admin token (role admin), from
  /// `bootstrap_token: {sha256: …}` or `{env: NAME}`. Empty: only tokens
  /// issued through the API (none on a new store) are accepted.
  std::string bootstrap_token_sha256;
  std::string bootstrap_token_source;  // "sha256" or "env:NAME", for messages
  /// /metrics needs a viewer token too (off: Prometheus scrapes freely).
  bool protect_metrics = false;

  bool operator==(const AdminConfig&) const = default;
};

}  // namespace sluice::config
