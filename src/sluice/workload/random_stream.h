#pragma once
/// A small deterministic random stream (xoshiro256**, seeded through
/// SplitMix64) and the few draws workloads need. Written out here rather than
/// taken from <random> because the standard distributions are
/// implementation-defined: a workload and its seed must give the same
/// arrivals with any standard library. Not thread-safe.
#include <cmath>
#include <cstdint>

#include "sluice/core/stable_hash.h"

namespace sluice::workload {

using core::mix64;

class RandomStream {
 public:
  /// Independent streams for different (seed, a, b) triples.
  RandomStream(std::uint64_t seed, std::uint64_t a, std::uint64_t b) {
    std::uint64_t x = mix64(mix64(mix64(seed) ^ a) ^ (b * 0xd1b54a32d192ed03ull));
    for (auto& word : s_) {
      x += 0x9e3779b97f4a7c15ull;
      word = mix64(x);
    }
  }

  std::uint64_t next_u64() {
    const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const std::uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }

  /// Uniform in the open interval (0, 1): never 0, so log() is finite.
  double uniform() { return (static_cast<double>(next_u64() >> 11) + 0.5) * 0x1.0p-53; }

  /// Exponential with the given mean.
  double exponential(double mean) { return -std::log(uniform()) * mean; }

  /// Uniform integer in [lo, hi] (lo ≤ hi).
  std::int64_t uniform_int(std::int64_t lo, std::int64_t hi) {
    const double span = static_cast<double>(hi) - static_cast<double>(lo) + 1.0;
    const auto offset = static_cast<std::int64_t>(std::floor(uniform() * span));
    return offset > hi - lo ? hi : lo + offset;
  }

 private:
  static constexpr std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  std::uint64_t s_[4];
};

}  // namespace sluice::workload
