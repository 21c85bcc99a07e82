#pragma once
/// Stable 64-bit hashing of keys and instance ids for the hash-based policies
/// (Maglev, ring, prefix affinity, sticky splits): the same bytes hash to the
/// same value in every process, build and standard library (unlike
/// std::hash), so every gateway replica maps a key to the same instance.
///
/// Same function as engine::hash_bytes (FNV-1a, then core::mix64), repeated
/// here because balance/ may include only core/.
#include <cstdint>
#include <string_view>

#include "sluice/core/mix64.h"

namespace sluice::balance {

/// FNV-1a over `bytes`, then mixed; `seed` makes independent hash families.
constexpr std::uint64_t stable_hash(std::string_view bytes, std::uint64_t seed = 0) {
  std::uint64_t h = 0xCBF29CE484222325ULL ^ core::mix64(seed);
  for (const char c : bytes) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001B3ULL;
  }
  return core::mix64(h);
}

/// Hash of a numeric key (a tenant's index, a request id).
constexpr std::uint64_t stable_hash(std::uint64_t key, std::uint64_t seed = 0) {
  return core::mix64(key ^ core::mix64(seed + 0x632BE59BD9B4E019ULL));
}

}  // namespace sluice::balance
