#include "sluice/tenancy/tenant_directory.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <cstring>

namespace sluice::tenancy {
namespace {

std::uint64_t prefix_of(const KeyDigest& d) {
  std::uint64_t v = 0;
  std::memcpy(&v, d.data(), sizeof v);
  return v;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

KeyDigest digest_key(std::string_view plain_key) {
  KeyDigest out{};
  unsigned int len = 0;
  EVP_Digest(plain_key.data(), plain_key.size(), out.data(), &len, EVP_sha256(), nullptr);
  return out;
}

bool parse_digest_hex(std::string_view hex, KeyDigest& out) {
  if (hex.size() != 64) return false;
  for (std::size_t i = 0; i < 32; ++i) {
    const int hi = hex_value(hex[2 * i]);
    const int lo = hex_value(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    out[i] = static_cast<unsigned char>(hi * 16 + lo);
  }
  return true;
}

std::string derive_cache_salt(std::string_view secret, std::string_view tenant_id) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(tenant_id.data()), tenant_id.size(), mac, &len);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string salt;
  salt.reserve(32);
  for (unsigned int i = 0; i < 16 && i < len; ++i) {
    salt.push_back(kHex[mac[i] >> 4]);
    salt.push_back(kHex[mac[i] & 15]);
  }
  return salt;
}

PoolQuota pool_quota(const config::Config& config, const config::Tenant& tenant, std::string_view model) {
  const config::TenantLimits& all = tenant.limits;
  const config::TenantLimits* own = tenant.limits_for(model);
  auto pick = [&](auto member) {
    if (own && (own->*member)) return own->*member;
    return all.*member;
  };
  PoolQuota q;
  q.max_queue = pick(&config::TenantLimits::max_queue);
  q.max_queue_wait = pick(&config::TenantLimits::max_queue_wait).value_or(config.server.max_queue_wait);
  q.reserved = pick(&config::TenantLimits::reserved_concurrency).value_or(0);
  q.cap = pick(&config::TenantLimits::concurrency_cap).value_or(0);
  return q;
}

TenantDirectory::TenantDirectory(const config::Config& config, std::string_view salt_secret) {
  tenants_.reserve(config.tenants.size());
  for (const auto& t : config.tenants) {
    TenantEntry e;
    e.index = tenants_.size();
    e.id = core::TenantId(t.id);
    e.display_name = t.display_name.empty() ? t.id : t.display_name;
    e.all_models = std::find(t.models.begin(), t.models.end(), "*") != t.models.end();
    e.models = t.models;
    std::sort(e.models.begin(), e.models.end());
    e.cache_salt = derive_cache_salt(salt_secret, t.id);
    e.weight = t.weight;
    e.priority = t.priority;
    e.max_priority = t.max_priority;
    for (const auto& m : config.models) e.pools.push_back(pool_quota(config, t, m.name));
    for (const auto& key : t.api_keys) {
      KeySlot slot{};
      if (!parse_digest_hex(key.sha256_hex, slot.digest)) continue;  // the loader validated it
      slot.key = key_entries_.size();
      key_entries_.push_back(KeyEntry{key.id, e.index, key.expires_at_ms, key.budgets});
      keys_.emplace(prefix_of(slot.digest), slot);
    }
    tenants_.push_back(std::move(e));
  }
}

Caller TenantDirectory::identify(std::string_view plain_key, std::int64_t now_unix_ms) const {
  if (plain_key.empty()) return {};
  const KeyDigest d = digest_key(plain_key);
  auto [lo, hi] = keys_.equal_range(prefix_of(d));
  const KeyEntry* found = nullptr;
  for (auto it = lo; it != hi; ++it) {
    if (CRYPTO_memcmp(it->second.digest.data(), d.data(), d.size()) == 0) found = &key_entries_[it->second.key];
  }
  if (!found) return {};
  if (found->expires_at_ms != 0 && now_unix_ms >= found->expires_at_ms) return Caller{nullptr, found, true};
  return Caller{&tenants_[found->tenant], found, false};
}

bool TenantDirectory::may_use(const TenantEntry& tenant, std::string_view model) const {
  if (tenant.all_models) return true;
  return std::binary_search(tenant.models.begin(), tenant.models.end(), model,
                            [](const auto& a, const auto& b) { return std::string_view(a) < std::string_view(b); });
}

std::string_view bearer_token(std::string_view authorization) {
  constexpr std::string_view kScheme = "bearer ";
  if (authorization.size() <= kScheme.size()) return {};
  for (std::size_t i = 0; i < kScheme.size(); ++i) {
    const char c = authorization[i];
    if ((c >= 'A' && c <= 'Z' ? c + 32 : c) != kScheme[i]) return {};
  }
  std::string_view key = authorization.substr(kScheme.size());
  while (!key.empty() && key.front() == ' ') key.remove_prefix(1);
  while (!key.empty() && (key.back() == ' ' || key.back() == '\t')) key.remove_suffix(1);
  return key;
}

}  // namespace sluice::tenancy
