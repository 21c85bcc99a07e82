#include "sluice/health/active_check.h"

#include <algorithm>
#include <cmath>
#include <utility>

namespace sluice::health {

ActiveCheckState::ActiveCheckState(ActiveCheckConfig config) : config_(std::move(config)) {}

HealthTransition ActiveCheckState::on_result(bool ok, core::TimePoint now) {
  if (ok) {
    failures_ = 0;
    ++passes_;
    const bool first_pass = !ever_passed_;
    ever_passed_ = true;
    if (!healthy_ && (first_pass || passes_ >= std::max<std::uint32_t>(config_.healthy_threshold, 1))) {
      healthy_ = true;
      changed_at_ = now;
      return HealthTransition::kBecameHealthy;
    }
    return HealthTransition::kNone;
  }
  passes_ = 0;
  ++failures_;
  if (healthy_ && failures_ >= std::max<std::uint32_t>(config_.unhealthy_threshold, 1)) {
    healthy_ = false;
    changed_at_ = now;
    return HealthTransition::kBecameUnhealthy;
  }
  return HealthTransition::kNone;
}

core::Duration ActiveCheckState::jitter(double uniform) const {
  const std::int64_t window = config_.interval.count() * config_.jitter_percent / 100;
  if (window <= 0) return core::Duration{0};
  // NaN and negatives become 0; 1 and above become the last nanosecond of the window.
  if (!(uniform > 0.0)) return core::Duration{0};
  if (uniform >= 1.0) return core::Duration{window - 1};
  const auto offset = static_cast<std::int64_t>(std::floor(uniform * static_cast<double>(window)));
  return core::Duration{std::clamp<std::int64_t>(offset, 0, window - 1)};
}

core::TimePoint ActiveCheckState::first_check_at(core::TimePoint now, double uniform) const {
  return now + jitter(uniform);
}

core::TimePoint ActiveCheckState::next_check_at(core::TimePoint now, double uniform) const {
  return now + config_.interval + jitter(uniform);
}

}  // namespace sluice::health
