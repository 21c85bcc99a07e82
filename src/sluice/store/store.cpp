#include "sluice/store/store.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <tuple>

#include "sluice/store/migrations.h"
#include "sluice/store/tenant_json.h"

namespace sluice::store {
namespace {

using nlohmann::json;

SqlValue nullable(std::int64_t v) { return v == 0 ? SqlValue{} : SqlValue{v}; }
SqlValue text_or_null(const std::string& s) { return s.empty() ? SqlValue{} : SqlValue{s}; }

constexpr std::string_view kTenantColumns =
    "id, name, weight, priority, max_priority, models, limits, budgets, disabled, created_at, updated_at";

std::optional<config::Priority> priority_of(std::string_view text) {
  for (auto p : {config::Priority::kCritical, config::Priority::kStandard, config::Priority::kBatch})
    if (config::to_string(p) == text) return p;
  return std::nullopt;
}

TenantRecord tenant_from_row(const SqlRow& r) {
  TenantRecord t;
  t.tenant.id = as_text(r[0]);
  t.tenant.display_name = as_text(r[1]);
  t.tenant.weight = as_double(r[2]);
  t.tenant.priority = priority_of(as_text(r[3])).value_or(config::Priority::kStandard);
  t.tenant.max_priority = priority_of(as_text(r[4])).value_or(t.tenant.priority);
  t.tenant.models = json::parse(as_text(r[5]), nullptr, false).get<std::vector<std::string>>();
  if (auto l = limits_from_json(json::parse(as_text(r[6]), nullptr, false), "limits")) t.tenant.limits = *l;
  if (auto b = budgets_from_json(json::parse(as_text(r[7]), nullptr, false), "budgets")) t.tenant.budgets = *b;
  t.tenant.origin = "store";
  t.disabled = as_int(r[8]) != 0;
  t.created_at = as_int(r[9]);
  t.updated_at = as_int(r[10]);
  return t;
}

std::vector<SqlValue> tenant_params(const TenantRecord& t) {
  return {t.tenant.id,
          t.tenant.display_name.empty() ? t.tenant.id : t.tenant.display_name,
          t.tenant.weight,
          std::string(config::to_string(t.tenant.priority)),
          std::string(config::to_string(t.tenant.max_priority)),
          json(t.tenant.models).dump(),
          limits_to_json(t.tenant.limits).dump(),
          budgets_to_json(t.tenant.budgets).dump(),
          std::int64_t{t.disabled ? 1 : 0},
          t.created_at,
          t.updated_at};
}

constexpr std::string_view kKeyColumns =
    "id, tenant_id, sha256, prefix, label, budgets, created_at, expires_at, revoked_at, last_used_at";

KeyRecord key_from_row(const SqlRow& r) {
  KeyRecord k;
  k.id = as_text(r[0]);
  k.tenant_id = as_text(r[1]);
  k.sha256 = as_text(r[2]);
  k.prefix = as_text(r[3]);
  k.label = as_text(r[4]);
  if (auto b = budgets_from_json(json::parse(as_text(r[5]), nullptr, false), "budgets")) k.budgets = *b;
  k.created_at = as_int(r[6]);
  k.expires_at = as_int(r[7]);
  k.revoked_at = as_int(r[8]);
  k.last_used_at = as_int(r[9]);
  return k;
}

std::int64_t hour_of(std::int64_t at_ms) { return at_ms - at_ms % 3'600'000; }

}  // namespace

std::string_view to_string(Role role) {
  return role == Role::kAdmin ? "admin" : role == Role::kOperator ? "operator" : "viewer";
}

bool parse_role(std::string_view text, Role& out) {
  for (auto r : {Role::kViewer, Role::kOperator, Role::kAdmin}) {
    if (to_string(r) == text) {
      out = r;
      return true;
    }
  }
  return false;
}

Result<std::unique_ptr<Store>> Store::open(const config::StoreConfig& config, std::string_view base_dir) {
  auto db = open_url(config.url, base_dir);
  if (!db) return std::unexpected(db.error());
  if (auto m = migrate(**db); !m) return std::unexpected(m.error());
  return std::make_unique<Store>(std::move(*db));
}

Store::Store(std::unique_ptr<SqlConnection> db) : db_(std::move(db)) {}

std::string Store::describe() const { return db_->describe(); }
Dialect Store::dialect() const { return db_->dialect(); }

template <typename F>
Result<void> Store::transaction(F&& body) {
  std::lock_guard lock(mu_);
  if (auto r = db_->query("BEGIN"); !r) return std::unexpected(r.error());
  Result<void> r = body();
  if (r) {
    if (auto c = db_->query("COMMIT"); !c) r = std::unexpected(c.error());
  }
  if (!r) (void)db_->query("ROLLBACK");
  return r;
}

Result<void> Store::write_audit(const AuditRecord& a) {
  const SqlValue params[] = {a.at, a.actor, a.action, a.target, text_or_null(a.before), text_or_null(a.after)};
  auto r = db_->query(
      "INSERT INTO audit_log (at, actor, action, target, before_json, after_json) VALUES ($1, $2, $3, $4, $5, $6)",
      params);
  if (!r) return std::unexpected(r.error());
  return {};
}

Result<void> Store::bump_version() {
  auto r = db_->query("UPDATE state_version SET version = version + 1 WHERE name = 'tenants'");
  if (!r) return std::unexpected(r.error());
  return {};
}

Result<std::vector<TenantRecord>> Store::tenants() {
  std::lock_guard lock(mu_);
  auto rows = db_->query(fmt::format("SELECT {} FROM tenants ORDER BY id", kTenantColumns));
  if (!rows) return std::unexpected(rows.error());
  std::vector<TenantRecord> out;
  for (const auto& r : *rows) out.push_back(tenant_from_row(r));
  return out;
}

Result<std::optional<TenantRecord>> Store::tenant(const std::string& id) {
  std::lock_guard lock(mu_);
  const SqlValue params[] = {id};
  auto rows = db_->query(fmt::format("SELECT {} FROM tenants WHERE id = $1", kTenantColumns), params);
  if (!rows) return std::unexpected(rows.error());
  if (rows->empty()) return std::nullopt;
  return tenant_from_row(rows->front());
}

Result<void> Store::insert_tenant(const TenantRecord& t, const AuditRecord& audit) {
  return transaction([&]() -> Result<void> {
    const auto params = tenant_params(t);
    const SqlValue id[] = {t.tenant.id};
    auto exists = db_->query("SELECT 1 FROM tenants WHERE id = $1", id);
    if (!exists) return std::unexpected(exists.error());
    if (!exists->empty())
      return std::unexpected(StoreError{fmt::format("tenant \"{}\" exists", t.tenant.id), false, true});
    auto r = db_->query(fmt::format("INSERT INTO tenants ({}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
                                    kTenantColumns),
                        params);
    if (!r) return std::unexpected(r.error());
    if (auto a = write_audit(audit); !a) return a;
    return bump_version();
  });
}

Result<void> Store::update_tenant(const TenantRecord& t, const AuditRecord& audit) {
  return transaction([&]() -> Result<void> {
    const auto params = tenant_params(t);
    auto r = db_->query(
        "UPDATE tenants SET name = $2, weight = $3, priority = $4, max_priority = $5, models = $6, limits = $7, "
        "budgets = $8, disabled = $9, updated_at = $11 WHERE id = $1",
        params);
    if (!r) return std::unexpected(r.error());
    if (auto a = write_audit(audit); !a) return a;
    return bump_version();
  });
}

Result<void> Store::delete_tenant(const std::string& id, std::int64_t now, const AuditRecord& audit) {
  return transaction([&]() -> Result<void> {
    const SqlValue params[] = {id, now};
    if (auto r = db_->query("UPDATE api_keys SET revoked_at = $2 WHERE tenant_id = $1 AND revoked_at IS NULL", params);
        !r)
      return std::unexpected(r.error());
    if (auto r = db_->query("DELETE FROM tenants WHERE id = $1", std::span(params, 1)); !r)
      return std::unexpected(r.error());
    if (auto a = write_audit(audit); !a) return a;
    return bump_version();
  });
}

Result<std::vector<KeyRecord>> Store::keys(const std::string& tenant_id) {
  std::lock_guard lock(mu_);
  const SqlValue params[] = {tenant_id};
  auto rows = db_->query(fmt::format("SELECT {} FROM api_keys WHERE tenant_id = $1 ORDER BY created_at, id", kKeyColumns),
                         params);
  if (!rows) return std::unexpected(rows.error());
  std::vector<KeyRecord> out;
  for (const auto& r : *rows) out.push_back(key_from_row(r));
  return out;
}

Result<std::vector<KeyRecord>> Store::live_keys(std::int64_t now) {
  std::lock_guard lock(mu_);
  const SqlValue params[] = {now};
  auto rows = db_->query(fmt::format("SELECT {} FROM api_keys WHERE revoked_at IS NULL AND "
                                     "(expires_at IS NULL OR expires_at > $1) ORDER BY id",
                                     kKeyColumns),
                         params);
  if (!rows) return std::unexpected(rows.error());
  std::vector<KeyRecord> out;
  for (const auto& r : *rows) out.push_back(key_from_row(r));
  return out;
}

Result<std::optional<KeyRecord>> Store::key(const std::string& id) {
  std::lock_guard lock(mu_);
  const SqlValue params[] = {id};
  auto rows = db_->query(fmt::format("SELECT {} FROM api_keys WHERE id = $1", kKeyColumns), params);
  if (!rows) return std::unexpected(rows.error());
  if (rows->empty()) return std::nullopt;
  return key_from_row(rows->front());
}

namespace {
Result<void> insert_key_row(SqlConnection& db, const KeyRecord& k) {
  const SqlValue params[] = {k.id,           k.tenant_id,   k.sha256,
                             k.prefix,       k.label,       budgets_to_json(k.budgets).dump(),
                             k.created_at,   nullable(k.expires_at), nullable(k.revoked_at),
                             nullable(k.last_used_at)};
  auto r = db.query(fmt::format("INSERT INTO api_keys ({}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                                kKeyColumns),
                    params);
  if (!r) return std::unexpected(r.error());
  return {};
}
}  // namespace

Result<void> Store::insert_key(const KeyRecord& k, const AuditRecord& audit) {
  return transaction([&]() -> Result<void> {
    if (auto r = insert_key_row(*db_, k); !r) return r;
    if (auto a = write_audit(audit); !a) return a;
    return bump_version();
  });
}

Result<void> Store::revoke_key(const std::string& id, std::int64_t now, const AuditRecord& audit) {
  return transaction([&]() -> Result<void> {
    const SqlValue params[] = {id, now};
    if (auto r = db_->query("UPDATE api_keys SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL", params); !r)
      return std::unexpected(r.error());
    if (auto a = write_audit(audit); !a) return a;
    return bump_version();
  });
}

Result<void> Store::rotate_key(const std::string& old_id, std::int64_t old_expires_at, const KeyRecord& next,
                               const AuditRecord& audit) {
  return transaction([&]() -> Result<void> {
    const SqlValue params[] = {old_id, old_expires_at};
    if (auto r = db_->query("UPDATE api_keys SET expires_at = $2 WHERE id = $1 AND "
                            "(expires_at IS NULL OR expires_at > $2)",
                            params);
        !r)
      return std::unexpected(r.error());
    if (auto r = insert_key_row(*db_, next); !r) return r;
    if (auto a = write_audit(audit); !a) return a;
    return bump_version();
  });
}

Result<std::vector<AdminTokenRecord>> Store::admin_tokens() {
  std::lock_guard lock(mu_);
  auto rows = db_->query("SELECT id, sha256, prefix, role, label, created_at, revoked_at FROM admin_tokens ORDER BY created_at, id");
  if (!rows) return std::unexpected(rows.error());
  std::vector<AdminTokenRecord> out;
  for (const auto& r : *rows) {
    AdminTokenRecord t{as_text(r[0]), as_text(r[1]), as_text(r[2]), Role::kViewer, as_text(r[4]), as_int(r[5]),
                       as_int(r[6])};
    parse_role(as_text(r[3]), t.role);
    out.push_back(std::move(t));
  }
  return out;
}

Result<void> Store::insert_admin_token(const AdminTokenRecord& t, const AuditRecord& audit) {
  return transaction([&]() -> Result<void> {
    const SqlValue params[] = {t.id, t.sha256, t.prefix, std::string(to_string(t.role)), t.label, t.created_at};
    if (auto r = db_->query("INSERT INTO admin_tokens (id, sha256, prefix, role, label, created_at) "
                            "VALUES ($1, $2, $3, $4, $5, $6)",
                            params);
        !r)
      return std::unexpected(r.error());
    if (auto a = write_audit(audit); !a) return a;
    return bump_version();
  });
}

Result<bool> Store::revoke_admin_token(const std::string& id, std::int64_t now, const AuditRecord& audit) {
  bool found = false;
  auto r = transaction([&]() -> Result<void> {
    const SqlValue params[] = {id, now};
    auto updated = db_->query("UPDATE admin_tokens SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL RETURNING id",
                              params);
    if (!updated) return std::unexpected(updated.error());
    found = !updated->empty();
    if (!found) return {};
    if (auto a = write_audit(audit); !a) return a;
    return bump_version();
  });
  if (!r) return std::unexpected(r.error());
  return found;
}

Result<void> Store::append_usage(std::span<const UsageRecord> rows) {
  if (rows.empty()) return {};
  // Rollups and last use, summed in memory first: one statement per group.
  struct Sum {
    std::int64_t requests = 0, prompt = 0, completion = 0;
    double cost = 0;
  };
  std::map<std::tuple<std::int64_t, std::string, std::string, std::string>, Sum> hourly;
  std::map<std::string, std::int64_t> last_used;
  for (const auto& u : rows) {
    Sum& s = hourly[{hour_of(u.at), u.tenant_id, u.key_id, u.model}];
    s.requests += 1;
    s.prompt += u.prompt_tokens;
    s.completion += u.completion_tokens;
    s.cost += u.cost_usd;
    if (!u.key_id.empty()) last_used[u.key_id] = std::max(last_used[u.key_id], u.at);
  }
  return transaction([&]() -> Result<void> {
    // Many rows per INSERT: one round trip per 50 rows on PostgreSQL.
    constexpr std::size_t kPerStatement = 50;
    for (std::size_t begin = 0; begin < rows.size(); begin += kPerStatement) {
      const std::size_t n = std::min(kPerStatement, rows.size() - begin);
      std::string sql =
          "INSERT INTO usage (at, request_id, tenant_id, key_id, model, instance, prompt_tokens, completion_tokens, "
          "status, cost_usd) VALUES ";
      std::vector<SqlValue> params;
      params.reserve(n * 10);
      for (std::size_t i = 0; i < n; ++i) {
        const UsageRecord& u = rows[begin + i];
        const std::size_t p = i * 10;
        sql += fmt::format("{}(${}, ${}, ${}, ${}, ${}, ${}, ${}, ${}, ${}, ${})", i ? ", " : "", p + 1, p + 2, p + 3,
                           p + 4, p + 5, p + 6, p + 7, p + 8, p + 9, p + 10);
        params.insert(params.end(), {u.at, u.request_id, u.tenant_id, u.key_id, u.model, u.instance, u.prompt_tokens,
                                     u.completion_tokens, std::int64_t{u.status}, u.cost_usd});
      }
      if (auto r = db_->query(sql, params); !r) return std::unexpected(r.error());
    }
    for (const auto& [k, s] : hourly) {
      const auto& [hour, tenant, key, model] = k;
      const SqlValue params[] = {hour, tenant, key, model, s.requests, s.prompt, s.completion, s.cost};
      auto r = db_->query(
          "INSERT INTO usage_hourly (hour, tenant_id, key_id, model, requests, prompt_tokens, completion_tokens, "
          "cost_usd) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (hour, tenant_id, key_id, model) DO UPDATE "
          "SET requests = usage_hourly.requests + excluded.requests, prompt_tokens = usage_hourly.prompt_tokens + "
          "excluded.prompt_tokens, completion_tokens = usage_hourly.completion_tokens + excluded.completion_tokens, "
          "cost_usd = usage_hourly.cost_usd + excluded.cost_usd",
          params);
      if (!r) return std::unexpected(r.error());
    }
    for (const auto& [key, at] : last_used) {
      const SqlValue params[] = {key, at};
      auto r = db_->query(
          "UPDATE api_keys SET last_used_at = $2 WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < $2)", params);
      if (!r) return std::unexpected(r.error());
    }
    return {};
  });
}

Result<std::vector<UsageRow>> Store::usage(const UsageQuery& q) {
  // From the hourly rollups: a day is 24 of them (UTC), and "none" sums all.
  std::string bucket;
  switch (q.group) {
    case UsageQuery::Group::kHour: bucket = "hour"; break;
    case UsageQuery::Group::kDay: bucket = "(hour - (hour % 86400000))"; break;
    case UsageQuery::Group::kNone: bucket = "(0 * hour + $1)"; break;
  }
  const std::string sql = fmt::format(
      "SELECT {0}, tenant_id, key_id, model, SUM(requests), SUM(prompt_tokens), SUM(completion_tokens), SUM(cost_usd) "
      "FROM usage_hourly WHERE hour >= $1 AND hour < $2 AND ($3 = '' OR tenant_id = $3) AND ($4 = '' OR key_id = $4) "
      "AND ($5 = '' OR model = $5) GROUP BY {0}, tenant_id, key_id, model ORDER BY 1, 2, 3, 4",
      bucket);
  std::lock_guard lock(mu_);
  const SqlValue params[] = {hour_of(q.since), q.until, q.tenant, q.key, q.model};
  auto rows = db_->query(sql, params);
  if (!rows) return std::unexpected(rows.error());
  std::vector<UsageRow> out;
  for (const auto& r : *rows) {
    out.push_back(UsageRow{as_int(r[0]), as_text(r[1]), as_text(r[2]), as_text(r[3]), as_int(r[4]), as_int(r[5]),
                           as_int(r[6]), as_double(r[7])});
  }
  return out;
}

Result<Store::Spent> Store::spent(const std::string& tenant, const std::string& key, std::int64_t since) {
  std::lock_guard lock(mu_);
  const SqlValue params[] = {tenant, key, since};
  auto rows = db_->query(
      "SELECT SUM(prompt_tokens + completion_tokens), SUM(cost_usd) FROM usage_hourly WHERE tenant_id = $1 AND "
      "($2 = '' OR key_id = $2) AND hour >= $3",
      params);
  if (!rows) return std::unexpected(rows.error());
  if (rows->empty()) return Spent{};
  return Spent{as_int(rows->front()[0]), as_double(rows->front()[1])};
}

Result<std::vector<UsageRecord>> Store::usage_records(const std::string& tenant, std::int64_t since, std::int64_t until) {
  std::lock_guard lock(mu_);
  const SqlValue params[] = {tenant, since, until};
  auto rows = db_->query(
      "SELECT at, request_id, tenant_id, key_id, model, instance, prompt_tokens, completion_tokens, status, cost_usd "
      "FROM usage WHERE ($1 = '' OR tenant_id = $1) AND at >= $2 AND at < $3 ORDER BY at, request_id",
      params);
  if (!rows) return std::unexpected(rows.error());
  std::vector<UsageRecord> out;
  for (const auto& r : *rows) {
    out.push_back(UsageRecord{as_int(r[0]), as_text(r[1]), as_text(r[2]), as_text(r[3]), as_text(r[4]), as_text(r[5]),
                              as_int(r[6]), as_int(r[7]), static_cast<int>(as_int(r[8])), as_double(r[9])});
  }
  return out;
}

Result<void> Store::append_audit(const AuditRecord& audit) {
  std::lock_guard lock(mu_);
  return write_audit(audit);
}

Result<std::vector<AuditRecord>> Store::audit(std::int64_t since, std::int64_t limit) {
  std::lock_guard lock(mu_);
  const SqlValue params[] = {since, limit};
  auto rows = db_->query(
      "SELECT at, actor, action, target, before_json, after_json FROM audit_log WHERE at >= $1 ORDER BY at DESC "
      "LIMIT $2",
      params);
  if (!rows) return std::unexpected(rows.error());
  std::vector<AuditRecord> out;
  for (const auto& r : *rows)
    out.push_back(AuditRecord{as_int(r[0]), as_text(r[1]), as_text(r[2]), as_text(r[3]), as_text(r[4]), as_text(r[5])});
  return out;
}

Result<void> Store::append_failover(const std::string& id, const std::string& model, std::int64_t at,
                                    const std::string& record_json) {
  std::lock_guard lock(mu_);
  const SqlValue params[] = {id, model, record_json, at};
  auto r = db_->query(
      "INSERT INTO failovers (id, model, record, at) VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO UPDATE SET record = "
      "excluded.record",
      params);
  if (!r) return std::unexpected(r.error());
  return {};
}

Result<std::vector<std::string>> Store::failovers(std::int64_t since, std::int64_t limit) {
  std::lock_guard lock(mu_);
  const SqlValue params[] = {since, limit};
  auto rows = db_->query("SELECT record FROM failovers WHERE at >= $1 ORDER BY at DESC LIMIT $2", params);
  if (!rows) return std::unexpected(rows.error());
  std::vector<std::string> out;
  for (const auto& r : *rows) out.push_back(as_text(r[0]));
  return out;
}

Result<std::int64_t> Store::state_version() {
  std::lock_guard lock(mu_);
  auto rows = db_->query("SELECT version FROM state_version WHERE name = 'tenants'");
  if (!rows) return std::unexpected(rows.error());
  return rows->empty() ? 0 : as_int(rows->front()[0]);
}

}  // namespace sluice::store
