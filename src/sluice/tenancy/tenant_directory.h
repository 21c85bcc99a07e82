#pragma once
/// Who is calling: API key → tenant, and what that tenant may use.
/// Built once per config snapshot; immutable afterwards, so any number of
/// threads may call `authenticate` and `may_use` concurrently.
#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "sluice/config/config.h"
#include "sluice/core/ids.h"

namespace sluice::tenancy {

using KeyDigest = std::array<unsigned char, 32>;

/// SHA-256 of a plain API key.
KeyDigest digest_key(std::string_view plain_key);
/// Parses 64 hex digits into a digest; false on bad input.
bool parse_digest_hex(std::string_view hex, KeyDigest& out);
/// HMAC-SHA256(secret, tenant_id) as 32 hex digits: the tenant's prefix-cache salt.
std::string derive_cache_salt(std::string_view secret, std::string_view tenant_id);

/// A tenant's limits inside one model's queue: model_limits where the
/// config has them, else the tenant's limits, else the server defaults.
struct PoolQuota {
  std::optional<std::int64_t> max_queue;
  core::Duration max_queue_wait{};
  std::int64_t reserved = 0;  // reserved_concurrency
  std::int64_t cap = 0;       // concurrency_cap; 0 = none
};

/// The PoolQuota of `tenant` for `model`.
PoolQuota pool_quota(const config::Config& config, const config::Tenant& tenant, std::string_view model);

struct TenantEntry {
  std::size_t index = 0;  // position in the directory, stable within a snapshot
  core::TenantId id;
  std::string display_name;
  bool all_models = false;
  std::vector<std::string> models;  // sorted; used when !all_models
  std::string cache_salt;           // sent upstream as `cache_salt`
  double weight = 1.0;
  config::Priority priority = config::Priority::kStandard;
  config::Priority max_priority = config::Priority::kStandard;  // highest x-sluice-priority allowed
  std::vector<PoolQuota> pools;  // by model index
};

/// One API key of a tenant: what a request learns about the key it came with.
struct KeyEntry {
  std::string id;          // "key_…" for keys issued through the admin API; "" for YAML keys
  std::size_t tenant = 0;  // index of its tenant
  std::int64_t expires_at_ms = 0;  // unix milliseconds; 0 = never
  std::vector<config::Budget> budgets;
};

/// Who is calling: the tenant and the key, or nobody (`tenant` null).
/// `expired`: the key exists but its expiry (or rotation grace) has passed.
struct Caller {
  const TenantEntry* tenant = nullptr;
  const KeyEntry* key = nullptr;
  bool expired = false;
};

class TenantDirectory {
 public:
  /// `salt_secret` seeds each tenant's cache salt.
  TenantDirectory(const config::Config& config, std::string_view salt_secret);

  /// The tenant and key of `plain_key` at `now_unix_ms`. Hashes the key,
  /// finds the candidate by digest prefix, and compares full digests in
  /// constant time. An expired key yields no tenant.
  Caller identify(std::string_view plain_key, std::int64_t now_unix_ms) const;
  /// identify(…).tenant.
  const TenantEntry* authenticate(std::string_view plain_key, std::int64_t now_unix_ms) const {
    return identify(plain_key, now_unix_ms).tenant;
  }
  /// Whether `tenant` may use `model` (by client-facing model name).
  bool may_use(const TenantEntry& tenant, std::string_view model) const;

  const std::vector<TenantEntry>& tenants() const { return tenants_; }
  const std::vector<KeyEntry>& keys() const { return key_entries_; }

 private:
  struct KeySlot {
    KeyDigest digest;
    std::size_t key;  // index in key_entries_
  };
  std::vector<TenantEntry> tenants_;
  std::vector<KeyEntry> key_entries_;
  std::unordered_multimap<std::uint64_t, KeySlot> keys_;  // by first 8 digest bytes
};

/// Extracts the key from an `Authorization` header value ("Bearer <key>",
/// scheme case-insensitive). Empty when the header is not a bearer token.
std::string_view bearer_token(std::string_view authorization);

}  // namespace sluice::tenancy
