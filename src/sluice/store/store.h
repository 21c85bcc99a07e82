#pragma once
/// Durable state: tenants, API keys and admin tokens managed through the
/// admin API, the usage ledger, the failover log and the audit log, in
/// SQLite or PostgreSQL (sql_connection.h). Nothing on the request path
/// calls the store: the gateway reads tenants and keys from its snapshot and
/// hands usage to the UsageWriter.
///
/// Every mutation writes its audit row in the same transaction and bumps
/// the state version that other replicas poll.
///
/// Thread-safety: every member may be called from any thread; calls are
/// serialised on one connection (admin operations are rare and short).
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "sluice/config/config.h"
#include "sluice/store/records.h"
#include "sluice/store/sql_connection.h"

namespace sluice::store {

class Store {
 public:
  /// Opens the store of `config` (a relative SQLite path is relative to
  /// `base_dir`) and applies pending migrations.
  static Result<std::unique_ptr<Store>> open(const config::StoreConfig& config, std::string_view base_dir);
  explicit Store(std::unique_ptr<SqlConnection> db);

  std::string describe() const;
  Dialect dialect() const;

  // Tenants.
  Result<std::vector<TenantRecord>> tenants();
  Result<std::optional<TenantRecord>> tenant(const std::string& id);
  /// Fails with "exists" in the message when the id is taken.
  Result<void> insert_tenant(const TenantRecord& tenant, const AuditRecord& audit);
  Result<void> update_tenant(const TenantRecord& tenant, const AuditRecord& audit);
  /// Deletes the tenant and revokes its keys; its usage rows stay.
  Result<void> delete_tenant(const std::string& id, std::int64_t now, const AuditRecord& audit);

  // API keys.
  Result<std::vector<KeyRecord>> keys(const std::string& tenant_id);
  /// Every key neither revoked nor expired at `now`, of every tenant.
  Result<std::vector<KeyRecord>> live_keys(std::int64_t now);
  Result<std::optional<KeyRecord>> key(const std::string& id);
  Result<void> insert_key(const KeyRecord& key, const AuditRecord& audit);
  Result<void> revoke_key(const std::string& id, std::int64_t now, const AuditRecord& audit);
  /// Issues `next` and makes `old_id` expire at `old_expires_at`, in one transaction.
  Result<void> rotate_key(const std::string& old_id, std::int64_t old_expires_at, const KeyRecord& next,
                          const AuditRecord& audit);

  // Admin tokens.
  Result<std::vector<AdminTokenRecord>> admin_tokens();
  Result<void> insert_admin_token(const AdminTokenRecord& token, const AuditRecord& audit);
  Result<bool> revoke_admin_token(const std::string& id, std::int64_t now, const AuditRecord& audit);

  // The usage ledger.
  /// Appends finished requests and updates the hourly rollups and the keys'
  /// last use, in one transaction.
  Result<void> append_usage(std::span<const UsageRecord> rows);
  Result<std::vector<UsageRow>> usage(const UsageQuery& query);
  /// Tokens (prompt + completion) and dollars the ledger holds for `tenant`
  /// (and `key`, unless empty) from `since` (an hour boundary) on.
  struct Spent {
    std::int64_t tokens = 0;
    double usd = 0;
  };
  Result<Spent> spent(const std::string& tenant, const std::string& key, std::int64_t since);
  /// Rows in the ledger, for tests and `sluice admin usage --raw`.
  Result<std::vector<UsageRecord>> usage_records(const std::string& tenant, std::int64_t since, std::int64_t until);

  // Logs.
  Result<void> append_audit(const AuditRecord& audit);
  Result<std::vector<AuditRecord>> audit(std::int64_t since, std::int64_t limit);
  Result<void> append_failover(const std::string& id, const std::string& model, std::int64_t at,
                               const std::string& record_json);
  Result<std::vector<std::string>> failovers(std::int64_t since, std::int64_t limit);

  /// Bumped by every tenant, key or token change: a replica that sees it
  /// move reloads tenants and keys.
  Result<std::int64_t> state_version();

 private:
  /// Runs `body` between BEGIN and COMMIT (ROLLBACK when it fails), holding the lock.
  template <typename F>
  Result<void> transaction(F&& body);
  Result<void> write_audit(const AuditRecord& audit);
  Result<void> bump_version();

  std::mutex mu_;
  std::unique_ptr<SqlConnection> db_;
};

}  // namespace sluice::store
