#pragma once
/// Passive health of one model pool in the live gateway: the pool's
/// health::OutlierDetector kept in step with the routing table's instance
/// list, its verdicts published on the instances (Instance::ejected_until_ns)
/// where the room check reads them, and the panic rule over active checks
/// and ejections together.
///
/// Thread-safety: none; ModelPool calls it under its lock.
#include <cstdint>
#include <optional>
#include <vector>

#include "sluice/balance/routing_table.h"
#include "sluice/health/outlier_detector.h"

namespace sluice::proxy {

class PoolHealth {
 public:
  /// `config.enabled` false: outcomes are ignored and nothing is ever ejected.
  explicit PoolHealth(health::OutlierConfig config);

  /// Records one try's outcome on `instance` (one of `route`'s instances; an
  /// instance no longer listed is ignored). Returns the ejection it caused.
  std::optional<health::Ejection> record(const balance::ModelRoute& route, balance::Instance& instance,
                                         health::Outcome outcome, core::TimePoint now);
  /// The interval sweep (due every config().interval): ends ejections, and
  /// ejects by failure percentage. Returns the instances ejected now.
  std::vector<std::shared_ptr<balance::Instance>> sweep(const balance::ModelRoute& route, core::TimePoint now);
  /// Whether too few of `route`'s instances are usable at `now` (both active
  /// checks and ejections count; health/panic.h), but at least one is: with
  /// none usable the model has no instance (503 at once). O(instances).
  bool panic(const balance::ModelRoute& route, core::TimePoint now) const;

  const health::OutlierConfig& config() const { return config_; }
  /// New settings (a config reload). Instances keep their outlier state;
  /// when detection is turned off, ejections end at once on `route`.
  void reconfigure(health::OutlierConfig config, const balance::ModelRoute* route);

 private:
  /// Rebuilds the detector when `route`'s instance list is not the one it
  /// was built for; instances that stay keep their state.
  void sync(const balance::ModelRoute& route);
  std::optional<std::size_t> index_of(const balance::Instance& instance) const;

  health::OutlierConfig config_;
  health::OutlierDetector detector_;
  std::vector<std::uint64_t> serials_;  // the detector's instances, in its order
};

}  // namespace sluice::proxy
