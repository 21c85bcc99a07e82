#pragma once
/// Small, stable 64-bit hashing and mixing used by the timing model: stable
/// across runs and builds (unlike std::hash), so seeded simulations repeat.
#include <cstdint>
#include <string_view>

#include "sluice/core/mix64.h"

namespace sluice::engine {

using core::mix64;

/// FNV-1a over bytes, then mixed; `seed` chains hashes.
constexpr std::uint64_t hash_bytes(std::string_view bytes, std::uint64_t seed = 0) {
  std::uint64_t h = 0xCBF29CE484222325ULL ^ mix64(seed);
  for (const char c : bytes) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001B3ULL;
  }
  return mix64(h);
}

/// Combines two hashes (order matters).
constexpr std::uint64_t hash_combine(std::uint64_t a, std::uint64_t b) { return mix64(a ^ mix64(b + 0x632BE59BD9B4E019ULL)); }

/// A uniform double in [0, 1) from a 64-bit hash.
constexpr double unit_interval(std::uint64_t h) { return static_cast<double>(h >> 11) * 0x1.0p-53; }

}  // namespace sluice::engine
