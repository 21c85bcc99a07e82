#pragma once
/// SplitMix64's finalizer: a good, bijective 64-bit mix, stable across runs,
/// builds and standard libraries (unlike std::hash), so seeded simulations
/// and workloads repeat.
#include <cstdint>

namespace sluice::core {

constexpr std::uint64_t mix64(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

}  // namespace sluice::core
