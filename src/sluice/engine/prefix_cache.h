#pragma once
/// Automatic prefix cache, after vLLM's: the prompt text is cut into blocks of
/// `block_bytes`, each block's key chains the cache salt, the previous
/// block's hash and the block's bytes, so a block matches only when the whole
/// prefix before it matches too. Entries are namespaced by salt structurally
/// (an interned salt id is part of every key), so requests with different
/// salts can never share an entry, even on a hash collision — the
/// CVE-2025-46570 fix the gateway relies on (each tenant gets its own salt).
///
/// Bounded, least-recently-used eviction. Thread-safety: none (owned by one
/// TimingModel).
#include <cstdint>
#include <list>
#include <string>
#include <string_view>
#include <unordered_map>

namespace sluice::engine {

class PrefixCache {
 public:
  PrefixCache(std::int64_t capacity_blocks, std::int64_t block_bytes);

  /// Number of leading full blocks of `text` cached under `salt`; marks them
  /// recently used.
  std::int64_t match(std::string_view salt, std::string_view text);
  /// Caches every full block of `text` under `salt`, evicting the least
  /// recently used blocks beyond capacity.
  void insert(std::string_view salt, std::string_view text);
  /// Drops everything (sleep discards the KV cache).
  void clear();

  std::int64_t size() const { return static_cast<std::int64_t>(lru_.size()); }
  std::int64_t capacity() const { return capacity_; }
  std::int64_t block_bytes() const { return block_bytes_; }

 private:
  struct Key {
    std::uint32_t salt_id;
    std::uint64_t chain;
    bool operator==(const Key&) const = default;
  };
  struct KeyHash {
    std::size_t operator()(const Key& k) const noexcept;
  };
  struct Salt {
    std::uint32_t id;
    std::int64_t blocks;
  };

  /// The id of `salt`, or 0 when it has no entries (ids start at 1).
  std::uint32_t find_salt(std::string_view salt) const;
  void evict_one();

  std::int64_t capacity_;
  std::int64_t block_bytes_;
  std::list<Key> lru_;  // front = most recent
  std::unordered_map<Key, std::list<Key>::iterator, KeyHash> index_;
  std::unordered_map<std::string, Salt> salts_;
  std::unordered_map<std::uint32_t, std::string> salt_names_;
  std::uint32_t next_salt_id_ = 1;
};

}  // namespace sluice::engine
