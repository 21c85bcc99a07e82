#include "sluice/store/migrations.h"

#include <fmt/format.h>

#include <unistd.h>

#include <array>
#include <filesystem>
#include <string_view>

namespace sluice::store {
namespace {

/// Migration N is kMigrations[N - 1]. Append only: a released migration
/// never changes.
constexpr std::array<std::string_view, 1> kMigrations = {
    // 1: tenants, keys, admin tokens, the usage ledger and its hourly
    // rollups, the failover log, the audit log, and the state version other
    // replicas poll to notice changes.
    R"sql(
CREATE TABLE tenants (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  weight DOUBLE PRECISION NOT NULL,
  priority TEXT NOT NULL,
  max_priority TEXT NOT NULL,
  models TEXT NOT NULL,
  limits TEXT NOT NULL,
  budgets TEXT NOT NULL,
  disabled BIGINT NOT NULL DEFAULT 0,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE TABLE api_keys (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  sha256 TEXT NOT NULL UNIQUE,
  prefix TEXT NOT NULL,
  label TEXT NOT NULL,
  budgets TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  expires_at BIGINT,
  revoked_at BIGINT,
  last_used_at BIGINT
);
CREATE INDEX api_keys_by_tenant ON api_keys (tenant_id);
CREATE TABLE admin_tokens (
  id TEXT PRIMARY KEY,
  sha256 TEXT NOT NULL UNIQUE,
  prefix TEXT NOT NULL,
  role TEXT NOT NULL,
  label TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  revoked_at BIGINT
);
CREATE TABLE usage (
  at BIGINT NOT NULL,
  request_id TEXT NOT NULL,
  tenant_id TEXT NOT NULL,
  key_id TEXT NOT NULL,
  model TEXT NOT NULL,
  instance TEXT NOT NULL,
  prompt_tokens BIGINT NOT NULL,
  completion_tokens BIGINT NOT NULL,
  status BIGINT NOT NULL,
  cost_usd DOUBLE PRECISION NOT NULL
);
CREATE INDEX usage_by_tenant_time ON usage (tenant_id, at);
CREATE TABLE usage_hourly (
  hour BIGINT NOT NULL,
  tenant_id TEXT NOT NULL,
  key_id TEXT NOT NULL,
  model TEXT NOT NULL,
  requests BIGINT NOT NULL,
  prompt_tokens BIGINT NOT NULL,
  completion_tokens BIGINT NOT NULL,
  cost_usd DOUBLE PRECISION NOT NULL,
  PRIMARY KEY (hour, tenant_id, key_id, model)
);
CREATE TABLE failovers (
  id TEXT PRIMARY KEY,
  model TEXT NOT NULL,
  record TEXT NOT NULL,
  at BIGINT NOT NULL
);
CREATE INDEX failovers_by_time ON failovers (at);
CREATE TABLE audit_log (
  at BIGINT NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  target TEXT NOT NULL,
  before_json TEXT,
  after_json TEXT
);
CREATE INDEX audit_by_time ON audit_log (at);
CREATE TABLE state_version (
  name TEXT PRIMARY KEY,
  version BIGINT NOT NULL
);
INSERT INTO state_version (name, version) VALUES ('tenants', 1);
)sql",
};

Result<void> ensure_version_table(SqlConnection& db) {
  return db.script("CREATE TABLE IF NOT EXISTS sluice_schema (version BIGINT NOT NULL)");
}

}  // namespace

int current_schema_version() { return static_cast<int>(kMigrations.size()); }

Result<int> schema_version(SqlConnection& db) {
  if (auto r = ensure_version_table(db); !r) return std::unexpected(r.error());
  auto rows = db.query("SELECT MAX(version) FROM sluice_schema");
  if (!rows) return std::unexpected(rows.error());
  return rows->empty() ? 0 : static_cast<int>(as_int(rows->front().at(0)));
}

Result<MigrationReport> migrate(SqlConnection& db) {
  auto version = schema_version(db);
  if (!version) return std::unexpected(version.error());
  MigrationReport report{*version, *version};
  if (*version > current_schema_version()) {
    return std::unexpected(StoreError{fmt::format(
        "{}: the database is at schema version {}, newer than this sluice knows ({}); run the sluice "
        "release that wrote it, or restore a backup taken before the upgrade",
        db.describe(), *version, current_schema_version())});
  }
  for (int next = *version + 1; next <= current_schema_version(); ++next) {
    const std::string script = fmt::format("BEGIN;\n{}\nINSERT INTO sluice_schema (version) VALUES ({});\nCOMMIT;",
                                           kMigrations[static_cast<std::size_t>(next - 1)], next);
    if (auto r = db.script(script); !r) {
      (void)db.script("ROLLBACK");
      return std::unexpected(StoreError{fmt::format("migration {} failed: {}", next, r.error().message)});
    }
    report.to = next;
  }
  return report;
}

Result<std::string> check_store(const config::StoreConfig& config, std::string_view base_dir) {
  if (config.url.starts_with("sqlite:") && config.url != "sqlite::memory:") {
    std::filesystem::path path(config.url.substr(7));
    if (path.is_relative() && !base_dir.empty()) path = std::filesystem::path(base_dir) / path;
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) {
      const auto dir = path.parent_path().empty() ? std::filesystem::path(".") : path.parent_path();
      if (::access(dir.c_str(), W_OK) != 0)
        return std::unexpected(StoreError{fmt::format("sqlite:{}: cannot be created: {} is not writable", path.string(),
                                                      dir.string())});
      return fmt::format("sqlite:{} (created on first start)", path.string());
    }
  }
  auto db = open_url(config.url, base_dir);
  if (!db) return std::unexpected(db.error());
  auto rows = (*db)->query("SELECT MAX(version) FROM sluice_schema");
  const int version = rows && !rows->empty() ? static_cast<int>(as_int(rows->front().at(0))) : 0;
  if (version > current_schema_version()) {
    return std::unexpected(StoreError{fmt::format("{}: schema version {} is newer than this sluice knows ({})",
                                                  (*db)->describe(), version, current_schema_version())});
  }
  return fmt::format("{}, schema version {}{}", (*db)->describe(), version,
                     version < current_schema_version() ? " (migrated at start)" : "");
}

}  // namespace sluice::store
