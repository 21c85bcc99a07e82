#pragma once
/// The lifecycle of one engine instance in the GPU pool, as a pure state
/// machine (ARCHITECTURE.md, "The fleet"):
///
///   cold → starting → loading → hot ⇄ warm
///                                hot → draining → warm | stopped | hot
///   any state but stopped and failed → failed
///
/// - cold: nothing running, weights on disk (a slot the planner may start).
/// - starting: the process is launched; loading: weights are going to the GPU.
/// - hot: serving, weights in GPU memory. warm: engine asleep (vLLM sleep
///   mode level 1), weights in host memory, GPU memory released.
/// - draining: takes no new requests while in-flight ones finish; it ends
///   asleep (warm: vLLM's sleep aborts in-flight requests, so sleep follows a
///   drain), stopped, or back in service when the drain is called off.
/// - stopped and failed are final: a replacement is a new instance.
/// hot → warm directly is allowed for an instance known to be idle.
///
/// Every transition is recorded with its time and reason. Pure: time is an
/// argument. Thread-safety: none; the controller owns each Lifecycle.
#include <cstdint>
#include <expected>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "sluice/core/clock.h"

namespace sluice::fleet {

enum class InstanceState : std::uint8_t { kCold, kStarting, kLoading, kHot, kWarm, kDraining, kStopped, kFailed };
inline constexpr std::size_t kInstanceStates = 8;

/// "cold", "starting", "loading", "hot", "warm", "draining", "stopped", "failed".
std::string_view to_string(InstanceState state);

/// Where a model's weights are: in GPU memory (hot), host memory (warm), on
/// disk (cold), or nowhere (the instance has ended).
enum class Temperature : std::uint8_t { kHot, kWarm, kCold, kNone };
std::string_view to_string(Temperature temperature);
Temperature temperature_of(InstanceState state);

/// Whether `from → to` is a legal transition.
bool legal(InstanceState from, InstanceState to);
/// Whether nothing can follow `state` (stopped, failed).
constexpr bool is_final(InstanceState state) {
  return state == InstanceState::kStopped || state == InstanceState::kFailed;
}

struct Transition {
  InstanceState from = InstanceState::kCold;
  InstanceState to = InstanceState::kCold;
  core::TimePoint at{};
  std::string reason;
};

class Lifecycle {
 public:
  /// A new instance in `initial` (cold, unless it is adopted running) at `now`.
  explicit Lifecycle(core::TimePoint now, InstanceState initial = InstanceState::kCold);

  InstanceState state() const { return state_; }
  Temperature temperature() const { return temperature_of(state_); }
  /// Takes new requests (hot only; draining finishes what it has).
  bool serving() const { return state_ == InstanceState::kHot; }
  /// When the current state began.
  core::TimePoint since() const { return since_; }

  /// Moves to `next` at `now`, recording the transition; an illegal one is
  /// refused ("illegal transition warm → loading") and changes nothing.
  /// Precondition: `now` is not before since().
  std::expected<void, std::string> to(InstanceState next, core::TimePoint now, std::string reason);

  /// Every transition so far, oldest first.
  std::span<const Transition> history() const { return history_; }
  /// When the instance last entered `state` by a transition, if it did.
  std::optional<core::TimePoint> entered(InstanceState state) const;

 private:
  InstanceState state_;
  core::TimePoint since_;
  std::vector<Transition> history_;
};

}  // namespace sluice::fleet
