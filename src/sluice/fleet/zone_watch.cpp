#include "sluice/fleet/zone_watch.h"

namespace sluice::fleet {

bool ZoneWatch::failed(const std::string& zone, int still_running, core::TimePoint now) {
  failures_.emplace_back(now, zone);
  while (!failures_.empty() && now - failures_.front().first > window_) failures_.pop_front();
  int in_zone = 0;
  for (const auto& [at, z] : failures_) in_zone += z == zone ? 1 : 0;
  return in_zone >= 2 && in_zone >= threshold_ * (still_running + in_zone);
}

}  // namespace sluice::fleet
