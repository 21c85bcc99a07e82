#include "sluice/drill/targets.h"

#include <algorithm>

#include <fmt/format.h>

namespace sluice::drill {

namespace {

/// The hot target: RTO under a second.
constexpr double kHotRtoS = 1.0;
/// The warm target: wake time plus this.
constexpr double kWarmSlackS = 1.0;

int warmth(StandbyTier tier) {
  switch (tier) {
    case StandbyTier::kHot: return 3;
    case StandbyTier::kWarm: return 2;
    case StandbyTier::kCold: return 1;
    case StandbyTier::kNone: return 0;
  }
  return 0;
}

StandbyTier tier_of(std::string_view temperature) {
  if (temperature == "hot") return StandbyTier::kHot;
  if (temperature == "warm") return StandbyTier::kWarm;
  if (temperature == "cold") return StandbyTier::kCold;
  return StandbyTier::kNone;
}

}  // namespace

std::string_view tier_name(StandbyTier tier) {
  switch (tier) {
    case StandbyTier::kHot: return "hot";
    case StandbyTier::kWarm: return "warm";
    case StandbyTier::kCold: return "cold";
    case StandbyTier::kNone: return "none";
  }
  return "none";
}

StandbyTier surviving_standby(const FleetView& before, std::string_view model, std::span<const std::string> affected) {
  StandbyTier best = StandbyTier::kNone;
  for (const auto& i : before.instances) {
    if (i.model != model || i.role != "standby") continue;
    if (std::find(affected.begin(), affected.end(), i.id) != affected.end()) continue;
    const StandbyTier tier = tier_of(i.temperature);
    if (warmth(tier) > warmth(best)) best = tier;
  }
  if (best == StandbyTier::kNone) {
    const FleetModel* m = before.model(model);
    if (m != nullptr && m->standby.cold > 0) best = StandbyTier::kCold;
  }
  return best;
}

Targets targets_for(Scenario scenario, StandbyTier tier, double wake_s) {
  Targets t;
  t.sla_rto_s = sla_rto_s(scenario);
  t.tier = tier;
  if (tier == StandbyTier::kHot) {
    t.our_rto_s = kHotRtoS;
    t.no_client_errors = true;
  } else if (tier == StandbyTier::kWarm) {
    t.our_rto_s = std::max(0.0, wake_s) + kWarmSlackS;
    t.our_rto_inclusive = true;
  }
  return t;
}

std::string describe_our_rto(const Targets& targets) {
  if (!targets.our_rto_s) return "—";
  return fmt::format("{} {:g} s", targets.our_rto_inclusive ? "≤" : "<", *targets.our_rto_s);
}

}  // namespace sluice::drill
