#include "sluice/fleet/zone_watch.h"

#include <set>

namespace sluice::fleet {

bool ZoneWatch::failed(const Failure& f, core::TimePoint now) {
  failures_.push_back({now, f.zone, f.node});
  while (!failures_.empty() && now - failures_.front().at > window_) failures_.pop_front();
  if (down_since_.contains(f.zone) || !f.other_zone_up) return false;
  int in_zone = 0;
  std::set<std::string> nodes;
  for (const Seen& s : failures_) {
    if (s.zone != f.zone) continue;
    ++in_zone;
    nodes.insert(s.node);
  }
  const bool zone_wide = in_zone >= 2 && nodes.size() >= 2 && in_zone >= threshold_ * (f.still_running + in_zone);
  if (zone_wide) down_since_[f.zone] = now;
  return zone_wide;
}

std::vector<std::string> ZoneWatch::recovered(core::TimePoint now) {
  std::vector<std::string> out;
  for (auto it = down_since_.begin(); it != down_since_.end();) {
    if (now - it->second >= window_) {
      out.push_back(it->first);
      std::erase_if(failures_, [&](const Seen& s) { return s.zone == it->first; });
      it = down_since_.erase(it);
    } else {
      ++it;
    }
  }
  return out;
}

}  // namespace sluice::fleet
