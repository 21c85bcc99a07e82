#pragma once
/// Backup instances: a model's instances may be split into primaries and
/// backups, and backups take requests only while no primary is available
/// (HAProxy's `backup`, Envoy's priority levels with all of P0 down).
///
/// Layout: the instance list holds the primaries first, then the backups;
/// `primary_count` says where the backups begin. Any picking policy then runs
/// unchanged on the active tier's subspan, and its index is shifted back to a
/// position in the whole list. Stateful policies (RoundRobin, the smooth
/// WRR, Maglev tables, rings) keep one state per tier.
///
/// The default rule switches tiers on availability (health), not on room:
/// when every primary is merely full, requests wait in the fair queue for a
/// primary rather than spill onto backups, so backups stay out of steady-
/// state traffic. Pass has_room as `usable` for the other rule.
#include <cstddef>
#include <memory>
#include <span>

#include "sluice/balance/routing_table.h"

namespace sluice::balance {

enum class Tier { kPrimary, kBackup };

/// The tier to pick in, as a subspan of the whole list.
struct TierView {
  Tier tier = Tier::kPrimary;
  std::size_t offset = 0;  // position of instances[0] in the whole list
  std::span<const std::shared_ptr<Instance>> instances;
};

/// Primaries when `usable` holds for at least one of them; otherwise the
/// backups. A list without backups always yields the primaries (possibly
/// none usable: the policy then finds nothing); a list without primaries,
/// the backups. `primary_count` past the end counts as the whole list.
template <typename Usable>
TierView active_tier(std::span<const std::shared_ptr<Instance>> instances, std::size_t primary_count,
                     Usable&& usable) {
  if (primary_count > instances.size()) primary_count = instances.size();
  const auto primaries = instances.first(primary_count);
  const auto backups = instances.subspan(primary_count);
  if (primaries.empty() && !backups.empty()) return {Tier::kBackup, primary_count, backups};
  if (backups.empty()) return {Tier::kPrimary, 0, primaries};
  for (const auto& instance : primaries) {
    if (usable(*instance)) return {Tier::kPrimary, 0, primaries};
  }
  return {Tier::kBackup, primary_count, backups};
}

/// Same, with usable = available (not exited, removed or ejected).
inline TierView active_tier(std::span<const std::shared_ptr<Instance>> instances, std::size_t primary_count) {
  return active_tier(instances, primary_count,
                     [](const Instance& i) { return i.available.load(std::memory_order_relaxed); });
}

/// Runs `pick(tier_instances)` (an index into that span, or -1) on the active
/// tier and returns the index in the whole list, or -1.
template <typename Pick>
int pick_in_tier(const TierView& view, Pick&& pick) {
  const int i = pick(view.instances);
  return i < 0 ? -1 : i + static_cast<int>(view.offset);
}

}  // namespace sluice::balance
