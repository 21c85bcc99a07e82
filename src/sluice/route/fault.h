#pragma once
/// Fault injection and mirroring decisions of a route, for drills and
/// shadow traffic (Envoy's fault filter and request_mirror_policies).
///
/// Each decision is its own uniform draw u in [0, 1): an event with
/// percentage p happens when u × 100 < p, so p = 0 never happens, p = 100
/// always does, and p = 12.5 happens for u in [0, 0.125). Delay and abort
/// are drawn independently; when both happen the request waits the delay,
/// then fails with the abort status (Envoy's order), without reaching an
/// upstream.
///
/// Pure: the draws are arguments. Thread-safe (no state).
#include <optional>

#include "sluice/config/config.h"
#include "sluice/core/clock.h"

namespace sluice::route {

struct FaultDecision {
  std::optional<int> abort_status;  // answer with this status instead of forwarding
  core::Duration delay{};           // wait this long first (zero = no delay)

  bool any() const { return abort_status.has_value() || delay > core::Duration::zero(); }
};

/// `u_abort` and `u_delay`: independent uniform draws in [0, 1).
FaultDecision decide_fault(const config::FaultConfig& fault, double u_abort, double u_delay);

/// Whether this request is copied to `mirror.model`; `u` uniform in [0, 1).
bool should_mirror(const config::MirrorConfig& mirror, double u);

/// The rule both use: u × 100 < percent (percent >= 100 always, <= 0 never).
bool happens(double percent, double u);

}  // namespace sluice::route
