#pragma once
/// When a zone has failed, from the instance failures seen in it (pure).
///
/// The evidence: within `window`, instances on at least two different nodes
/// of the zone failed, at least two failures in all, and they are at least
/// `threshold` of what ran there (the failed plus those still running); and
/// another zone is up to take the capacity. Crashes on one node (say, one
/// model crashing twice, or a poison request crashing both replicas on a
/// one-node pool) are instances' problems, not the zone's; and the last zone
/// up is never failed over: its instances are restarted where they are.
///
/// A zone found failed recovers by itself once `window` has passed since it
/// was found failed: the controller may place instances there again (a
/// zone that is really gone fails them again, and is found failed again).
#include <deque>
#include <map>
#include <string>
#include <vector>

#include "sluice/core/clock.h"

namespace sluice::fleet {

class ZoneWatch {
 public:
  ZoneWatch(double threshold, core::Duration window) : threshold_(threshold), window_(window) {}

  struct Failure {
    std::string zone;
    std::string node;
    int still_running = 0;       // the zone's instances still running
    bool other_zone_up = false;  // another zone of the pool is up
  };
  /// An instance failed at `now`. True when its zone has now failed (it is
  /// then remembered as failed until recovered()).
  bool failed(const Failure& failure, core::TimePoint now);
  /// The zones found failed whose window has passed by `now`; they are
  /// forgotten (up again).
  std::vector<std::string> recovered(core::TimePoint now);
  /// Forgets every failure (faults cleared).
  void clear() {
    failures_.clear();
    down_since_.clear();
  }

 private:
  struct Seen {
    core::TimePoint at;
    std::string zone;
    std::string node;
  };
  double threshold_;
  core::Duration window_;
  std::deque<Seen> failures_;
  std::map<std::string, core::TimePoint> down_since_;
};

}  // namespace sluice::fleet
