#include "sluice/proxy/instance_picker.h"

#include <algorithm>

#include "sluice/balance/backup_tier.h"
#include "sluice/balance/bounded_load.h"
#include "sluice/balance/least_tokens.h"
#include "sluice/balance/room.h"

namespace sluice::proxy {

using config::BalancePolicy;

void InstancePicker::sync(const balance::ModelRoute& route) {
  const auto& list = route.instances;
  if (balance::same_instances(list, serials_)) return;
  serials_.clear();
  weights_.clear();
  for (const auto& i : list) {
    serials_.push_back(i->serial);
    weights_.push_back(i->weight);
  }
  // Primaries come first in a routing table (the builder puts backups last).
  primary_count_ = static_cast<std::size_t>(
      std::find_if(list.begin(), list.end(), [](const auto& i) { return i->backup; }) - list.begin());
  const std::span<const std::shared_ptr<balance::Instance>> all(list);
  const std::span<const std::shared_ptr<balance::Instance>> tiers[2] = {all.first(primary_count_),
                                                                        all.subspan(primary_count_)};
  for (int t = 0; t < 2; ++t) {
    maglev_[t].reset();
    ring_[t].reset();
    weighted_[t].reset();
    if (config_.policy != BalancePolicy::kConsistentHash && config_.policy != BalancePolicy::kPrefixAffinity) continue;
    if (config_.hash_table == config::HashTableKind::kMaglev) maglev_[t] = balance::MaglevTable::for_instances(tiers[t]);
    else ring_[t] = balance::HashRing::for_instances(tiers[t]);
  }
}

int InstancePicker::pick_in(std::span<const std::shared_ptr<balance::Instance>> instances, std::size_t tier,
                            std::size_t offset,
                            const balance::RoomLimits& room, std::optional<std::uint64_t> key, std::uint64_t r1,
                            std::uint64_t r2) {
  switch (config_.policy) {
    case BalancePolicy::kRoundRobin: return round_robin_[tier].pick(instances, room);
    case BalancePolicy::kWeightedRoundRobin:
      return weighted_[tier].pick(instances, std::span<const std::uint32_t>(weights_).subspan(offset, instances.size()),
                                  room);
    case BalancePolicy::kLeastTokens:
      tokens_.clear();
      for (const auto& i : instances) tokens_.push_back(i->outstanding_tokens.load(std::memory_order_relaxed));
      return balance::pick_least_tokens(instances, tokens_, room, r1, r2);
    case BalancePolicy::kConsistentHash:
    case BalancePolicy::kPrefixAffinity:
      if (key) {
        if (maglev_[tier]) return balance::pick_bounded_load(*maglev_[tier], *key, instances, room, config_.load_factor);
        if (ring_[tier]) return balance::pick_bounded_load(*ring_[tier], *key, instances, room, config_.load_factor);
      }
      [[fallthrough]];
    case BalancePolicy::kLeastRequest: break;
  }
  return balance::pick_with_room(instances, room, r1, r2);
}

int InstancePicker::pick(const balance::ModelRoute& route, const balance::RoomLimits& room,
                         std::optional<std::uint64_t> key, std::uint64_t r1, std::uint64_t r2) {
  sync(route);
  const std::span<const std::shared_ptr<balance::Instance>> all(route.instances);
  const auto usable = [&room](const balance::Instance& i) {
    return i.available.load(std::memory_order_relaxed) && (room.panic || i.usable(room.now_ns));
  };
  const balance::TierView view = balance::active_tier(all, primary_count_, usable);
  const std::size_t tier = view.tier == balance::Tier::kPrimary ? 0 : 1;
  return balance::pick_in_tier(view, [&](std::span<const std::shared_ptr<balance::Instance>> in) {
    return pick_in(in, tier, view.offset, room, key, r1, r2);
  });
}

}  // namespace sluice::proxy
