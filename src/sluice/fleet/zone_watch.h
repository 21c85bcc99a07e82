#pragma once
/// When a zone has failed, from the instance failures seen in it (pure):
/// within `window`, at least two of its instances failed, and they are at
/// least `threshold` of what ran there (the failed plus those still
/// running). One failure is an instance's problem, not the zone's. The
/// controller then treats the zone as down: its instances fail over and its
/// models' capacity moves to their standby zone.
#include <deque>
#include <string>
#include <utility>

#include "sluice/core/clock.h"

namespace sluice::fleet {

class ZoneWatch {
 public:
  ZoneWatch(double threshold, core::Duration window) : threshold_(threshold), window_(window) {}

  /// An instance in `zone` failed at `now`, and `still_running` of the
  /// zone's instances run. True when the zone has now failed.
  bool failed(const std::string& zone, int still_running, core::TimePoint now);
  /// Forgets every failure (faults cleared).
  void clear() { failures_.clear(); }

 private:
  double threshold_;
  core::Duration window_;
  std::deque<std::pair<core::TimePoint, std::string>> failures_;
};

}  // namespace sluice::fleet
