#include "sluice/fleet/lifecycle.h"

#include <array>

namespace sluice::fleet {

namespace {

using S = InstanceState;

/// kLegal[from][to].
constexpr std::array<std::array<bool, kInstanceStates>, kInstanceStates> legal_table() {
  std::array<std::array<bool, kInstanceStates>, kInstanceStates> t{};
  const auto allow = [&t](S from, S to) { t[static_cast<std::size_t>(from)][static_cast<std::size_t>(to)] = true; };
  allow(S::kCold, S::kStarting);
  allow(S::kCold, S::kStopped);  // a slot given up before it ran
  allow(S::kStarting, S::kLoading);
  allow(S::kStarting, S::kStopped);
  allow(S::kLoading, S::kHot);
  allow(S::kLoading, S::kStopped);
  allow(S::kHot, S::kWarm);
  allow(S::kHot, S::kDraining);
  allow(S::kWarm, S::kHot);
  allow(S::kWarm, S::kStopped);
  allow(S::kDraining, S::kWarm);
  allow(S::kDraining, S::kStopped);
  allow(S::kDraining, S::kHot);
  for (std::size_t from = 0; from < kInstanceStates; ++from) {
    if (!is_final(static_cast<S>(from))) t[from][static_cast<std::size_t>(S::kFailed)] = true;
  }
  return t;
}

constexpr auto kLegal = legal_table();

}  // namespace

std::string_view to_string(InstanceState state) {
  switch (state) {
    case S::kCold: return "cold";
    case S::kStarting: return "starting";
    case S::kLoading: return "loading";
    case S::kHot: return "hot";
    case S::kWarm: return "warm";
    case S::kDraining: return "draining";
    case S::kStopped: return "stopped";
    case S::kFailed: return "failed";
  }
  return "cold";
}

std::string_view to_string(Temperature temperature) {
  switch (temperature) {
    case Temperature::kHot: return "hot";
    case Temperature::kWarm: return "warm";
    case Temperature::kCold: return "cold";
    case Temperature::kNone: return "none";
  }
  return "none";
}

Temperature temperature_of(InstanceState state) {
  switch (state) {
    case S::kHot:
    case S::kDraining: return Temperature::kHot;
    case S::kWarm: return Temperature::kWarm;
    case S::kCold:
    case S::kStarting:
    case S::kLoading: return Temperature::kCold;
    case S::kStopped:
    case S::kFailed: return Temperature::kNone;
  }
  return Temperature::kNone;
}

bool legal(InstanceState from, InstanceState to) {
  return kLegal[static_cast<std::size_t>(from)][static_cast<std::size_t>(to)];
}

Lifecycle::Lifecycle(core::TimePoint now, InstanceState initial) : state_(initial), since_(now) {}

std::expected<void, std::string> Lifecycle::to(InstanceState next, core::TimePoint now, std::string reason) {
  if (!legal(state_, next)) {
    return std::unexpected("illegal transition " + std::string(to_string(state_)) + " → " +
                           std::string(to_string(next)));
  }
  history_.push_back(Transition{state_, next, now, std::move(reason)});
  state_ = next;
  since_ = now;
  return {};
}

std::optional<core::TimePoint> Lifecycle::entered(InstanceState state) const {
  for (auto it = history_.rbegin(); it != history_.rend(); ++it) {
    if (it->to == state) return it->at;
  }
  return std::nullopt;
}

}  // namespace sluice::fleet
