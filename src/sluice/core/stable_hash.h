#pragma once
/// Stable 64-bit mixing and hashing: the same input gives the same value in
/// every process, build and standard library (unlike std::hash), so seeded
/// simulations and workloads repeat and every gateway replica maps a key to
/// the same instance.
#include <cstdint>
#include <string_view>

namespace sluice::core {

/// SplitMix64's finalizer: a good, bijective mix of one 64-bit word.
constexpr std::uint64_t mix64(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

/// FNV-1a over `bytes`, then mixed; `seed` makes independent hash families
/// (and chains hashes).
constexpr std::uint64_t hash_bytes(std::string_view bytes, std::uint64_t seed = 0) {
  std::uint64_t h = 0xCBF29CE484222325ULL ^ mix64(seed);
  for (const char c : bytes) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001B3ULL;
  }
  return mix64(h);
}

/// Combines two hashes (order matters); also the hash of a numeric key.
constexpr std::uint64_t hash_combine(std::uint64_t a, std::uint64_t b) { return mix64(a ^ mix64(b + 0x632BE59BD9B4E019ULL)); }

}  // namespace sluice::core
