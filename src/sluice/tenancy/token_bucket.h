#pragma once
/// A per-minute token bucket: holds up to `limit`, refills continuously at
/// limit/60 per second, starts full. Taking more than is there is refused
/// (`try_take`); a correction after the fact may drive it below zero
/// (`take_anyway`), which then delays the next admissions until it refills.
/// Pure: time comes in as arguments. Thread-safety: none.
#include <cstdint>

#include "sluice/core/clock.h"

namespace sluice::tenancy {

class TokenBucket {
 public:
  TokenBucket(std::int64_t per_minute, core::TimePoint now);

  std::int64_t limit() const { return limit_; }
  /// Tokens there at `now` (may be negative after a correction).
  double available(core::TimePoint now);
  /// Takes `n` when that many are there at `now`; false (nothing taken) otherwise.
  bool try_take(double n, core::TimePoint now);
  /// Takes `n` whatever is there (a correction: the request used more than reserved).
  void take_anyway(double n, core::TimePoint now);
  /// Puts `n` back (the request used less than reserved); never above the limit.
  void give_back(double n, core::TimePoint now);
  /// How long until `n` tokens are there (0 when they are now).
  core::Duration time_until(double n, core::TimePoint now);
  /// Changes the limit (a config reload), keeping what is there: the level
  /// refills at the new rate from now on and never stands above the new limit.
  void set_limit(std::int64_t per_minute, core::TimePoint now);
  /// How long until the bucket is full again.
  core::Duration time_until_full(core::TimePoint now) { return time_until(static_cast<double>(limit_), now); }

 private:
  void refill(core::TimePoint now);

  std::int64_t limit_;
  double per_second_;
  double tokens_;
  core::TimePoint last_;
};

}  // namespace sluice::tenancy
