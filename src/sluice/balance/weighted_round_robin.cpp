#include "sluice/balance/weighted_round_robin.h"

#include "sluice/balance/room.h"

namespace sluice::balance {

int SmoothWeightedRoundRobin::pick(std::span<const std::shared_ptr<Instance>> instances,
                                   std::span<const std::uint32_t> weights, const RoomLimits& limits) {
  const std::size_t n = instances.size();
  if (weights.size() != n) return -1;
  if (scores_.size() != n) scores_.assign(n, 0);
  std::int64_t total = 0;
  int best = -1;
  for (std::size_t i = 0; i < n; ++i) {
    if (weights[i] == 0 || !has_room(*instances[i], limits)) continue;
    scores_[i] += weights[i];
    total += weights[i];
    if (best < 0 || scores_[i] > scores_[static_cast<std::size_t>(best)]) best = static_cast<int>(i);
  }
  if (best >= 0) scores_[static_cast<std::size_t>(best)] -= total;
  return best;
}

}  // namespace sluice::balance
