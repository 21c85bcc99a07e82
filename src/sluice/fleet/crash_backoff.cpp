#include "sluice/fleet/crash_backoff.h"

#include <algorithm>

namespace sluice::fleet {

void CrashBackoff::failed(const std::string& model, int free_restarts, core::TimePoint now) {
  State& s = models_[model];
  if (s.failures > 0 && now - s.last > settings_.window) s = State{};
  ++s.failures;
  s.last = now;
  const int beyond = s.failures - std::max(free_restarts, 0);
  if (beyond <= 0) {
    s.hold = core::Duration::zero();
    return;
  }
  core::Duration hold = settings_.base;
  for (int k = 1; k < beyond && hold < settings_.max; ++k) hold *= 2;
  s.hold = std::min(hold, settings_.max);
}

int CrashBackoff::failures(const std::string& model, core::TimePoint now) const {
  const auto it = models_.find(model);
  if (it == models_.end() || now - it->second.last > settings_.window) return 0;
  return it->second.failures;
}

core::TimePoint CrashBackoff::start_after(const std::string& model) const {
  const auto it = models_.find(model);
  return it == models_.end() ? core::TimePoint{} : it->second.last + it->second.hold;
}

core::Duration CrashBackoff::hold(const std::string& model) const {
  const auto it = models_.find(model);
  return it == models_.end() ? core::Duration::zero() : it->second.hold;
}

}  // namespace sluice::fleet
