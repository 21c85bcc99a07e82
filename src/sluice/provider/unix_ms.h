#pragma once
/// Times of the fleet's records as Unix epoch milliseconds, for the admin
/// API (`sluice drill` runs in another process on the same clock).
#include <chrono>
#include <cstdint>

#include "sluice/core/clock.h"

namespace sluice::provider {

/// Unix epoch milliseconds of a steady-clock time point.
inline std::int64_t unix_ms(core::TimePoint t) {
  const auto steady_now = core::steady_now();
  const auto system_now = std::chrono::system_clock::now();
  const auto at = system_now - std::chrono::duration_cast<std::chrono::system_clock::duration>(steady_now - t);
  return std::chrono::duration_cast<std::chrono::milliseconds>(at.time_since_epoch()).count();
}

}  // namespace sluice::provider
