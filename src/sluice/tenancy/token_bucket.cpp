#include "sluice/tenancy/token_bucket.h"

#include <algorithm>
#include <cmath>

namespace sluice::tenancy {

TokenBucket::TokenBucket(std::int64_t per_minute, core::TimePoint now)
    : limit_(per_minute), per_second_(static_cast<double>(per_minute) / 60.0),
      tokens_(static_cast<double>(per_minute)), last_(now) {}

void TokenBucket::refill(core::TimePoint now) {
  if (now <= last_) return;
  tokens_ = std::min(static_cast<double>(limit_), tokens_ + core::to_seconds(now - last_) * per_second_);
  last_ = now;
}

double TokenBucket::available(core::TimePoint now) {
  refill(now);
  return tokens_;
}

bool TokenBucket::try_take(double n, core::TimePoint now) {
  refill(now);
  if (tokens_ < n) return false;
  tokens_ -= n;
  return true;
}

void TokenBucket::take_anyway(double n, core::TimePoint now) {
  refill(now);
  tokens_ -= n;
}

void TokenBucket::give_back(double n, core::TimePoint now) {
  refill(now);
  tokens_ = std::min(static_cast<double>(limit_), tokens_ + n);
}

void TokenBucket::set_limit(std::int64_t per_minute, core::TimePoint now) {
  refill(now);
  limit_ = per_minute;
  per_second_ = static_cast<double>(per_minute) / 60.0;
  tokens_ = std::min(static_cast<double>(limit_), tokens_);
}

core::Duration TokenBucket::time_until(double n, core::TimePoint now) {
  refill(now);
  if (tokens_ >= n || per_second_ <= 0) return core::Duration::zero();
  const double seconds = (n - tokens_) / per_second_;
  return std::chrono::duration_cast<core::Duration>(std::chrono::duration<double>(seconds)) + core::Duration(1);
}

}  // namespace sluice::tenancy
