#include "sluice/engine/prefix_cache.h"

#include <algorithm>

#include "sluice/engine/hashing.h"

namespace sluice::engine {

std::size_t PrefixCache::KeyHash::operator()(const Key& k) const noexcept {
  return static_cast<std::size_t>(hash_combine(k.chain, k.salt_id));
}

PrefixCache::PrefixCache(std::int64_t capacity_blocks, std::int64_t block_bytes)
    : capacity_(std::max<std::int64_t>(capacity_blocks, 0)), block_bytes_(std::max<std::int64_t>(block_bytes, 1)) {}

std::uint32_t PrefixCache::find_salt(std::string_view salt) const {
  const auto it = salts_.find(std::string(salt));
  return it == salts_.end() ? 0 : it->second.id;
}

std::int64_t PrefixCache::match(std::string_view salt, std::string_view text) {
  const std::uint32_t salt_id = find_salt(salt);
  if (salt_id == 0) return 0;
  std::uint64_t chain = hash_bytes(salt);
  std::int64_t matched = 0;
  const auto blocks = static_cast<std::int64_t>(text.size()) / block_bytes_;
  for (std::int64_t b = 0; b < blocks; ++b) {
    chain = hash_bytes(text.substr(static_cast<std::size_t>(b * block_bytes_), static_cast<std::size_t>(block_bytes_)), chain);
    const auto it = index_.find(Key{salt_id, chain});
    if (it == index_.end()) break;
    lru_.splice(lru_.begin(), lru_, it->second);
    ++matched;
  }
  return matched;
}

void PrefixCache::insert(std::string_view salt, std::string_view text) {
  if (capacity_ == 0) return;
  const auto blocks = static_cast<std::int64_t>(text.size()) / block_bytes_;
  if (blocks == 0) return;
  auto salt_it = salts_.find(std::string(salt));
  if (salt_it == salts_.end()) {
    const std::uint32_t id = next_salt_id_++;
    salt_it = salts_.emplace(std::string(salt), Salt{id, 0}).first;
    salt_names_.emplace(id, std::string(salt));
  }
  const std::uint32_t salt_id = salt_it->second.id;
  std::uint64_t chain = hash_bytes(salt);
  for (std::int64_t b = 0; b < blocks; ++b) {
    chain = hash_bytes(text.substr(static_cast<std::size_t>(b * block_bytes_), static_cast<std::size_t>(block_bytes_)), chain);
    const Key key{salt_id, chain};
    const auto it = index_.find(key);
    if (it != index_.end()) {
      lru_.splice(lru_.begin(), lru_, it->second);
      continue;
    }
    lru_.push_front(key);
    index_.emplace(key, lru_.begin());
    // The new block is the most recent, so eviction never empties this salt:
    // salt_it stays valid.
    ++salt_it->second.blocks;
    while (size() > capacity_) evict_one();
  }
}

void PrefixCache::evict_one() {
  const Key victim = lru_.back();
  lru_.pop_back();
  index_.erase(victim);
  const auto name_it = salt_names_.find(victim.salt_id);
  const auto salt_it = salts_.find(name_it->second);
  if (--salt_it->second.blocks == 0) {
    salts_.erase(salt_it);
    salt_names_.erase(name_it);
  }
}

void PrefixCache::clear() {
  lru_.clear();
  index_.clear();
  salts_.clear();
  salt_names_.clear();
}

}  // namespace sluice::engine
