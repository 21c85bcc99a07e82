#pragma once
/// Stable 64-bit hashing of keys and instance ids for the hash-based policies
/// (Maglev, ring, prefix affinity, sticky splits): core's stable hash, so
/// every gateway replica maps a key to the same instance.
#include <cstdint>
#include <string_view>

#include "sluice/core/stable_hash.h"

namespace sluice::balance {

/// Hash of bytes; `seed` makes independent hash families.
constexpr std::uint64_t stable_hash(std::string_view bytes, std::uint64_t seed = 0) {
  return core::hash_bytes(bytes, seed);
}

/// Hash of a numeric key (a tenant's index, a request id).
constexpr std::uint64_t stable_hash(std::uint64_t key, std::uint64_t seed = 0) {
  return core::hash_combine(key, seed);
}

}  // namespace sluice::balance
