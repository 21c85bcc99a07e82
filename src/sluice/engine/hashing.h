#pragma once
/// Stable hashing for the timing model (see core/stable_hash.h), plus a
/// uniform draw from a hash.
#include <cstdint>

#include "sluice/core/stable_hash.h"

namespace sluice::engine {

using core::hash_bytes;
using core::hash_combine;
using core::mix64;

/// A uniform double in [0, 1) from a 64-bit hash.
constexpr double unit_interval(std::uint64_t h) { return static_cast<double>(h >> 11) * 0x1.0p-53; }

}  // namespace sluice::engine
