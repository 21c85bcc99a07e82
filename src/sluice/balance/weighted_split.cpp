#include "sluice/balance/weighted_split.h"

#include <algorithm>

#include "sluice/core/stable_hash.h"

namespace sluice::balance {

namespace {
/// The top 53 bits as a double in [0, 1).
double unit(std::uint64_t bits) { return static_cast<double>(bits >> 11) * 0x1.0p-53; }
}  // namespace

WeightedSplit::WeightedSplit(std::span<const std::uint32_t> weights) {
  cumulative_.reserve(weights.size());
  std::uint64_t sum = 0;
  for (const std::uint32_t w : weights) {
    sum += w;
    cumulative_.push_back(sum);
  }
}

int WeightedSplit::pick_unit(double u) const {
  const std::uint64_t sum = total();
  if (sum == 0) return -1;
  const double point = std::clamp(u, 0.0, 1.0) * static_cast<double>(sum);
  // First target whose stretch ends beyond the point.
  const auto it = std::upper_bound(cumulative_.begin(), cumulative_.end(), point,
                                   [](double p, std::uint64_t end) { return p < static_cast<double>(end); });
  if (it != cumulative_.end()) return static_cast<int>(it - cumulative_.begin());
  // u rounded up to 1: the last target with a non-zero weight.
  for (std::size_t i = cumulative_.size(); i-- > 0;) {
    if (cumulative_[i] != (i == 0 ? 0 : cumulative_[i - 1])) return static_cast<int>(i);
  }
  return -1;
}

int WeightedSplit::pick(std::uint64_t random) const { return pick_unit(unit(random)); }

int WeightedSplit::pick_sticky(std::uint64_t key_hash) const {
  // Mixed once more so a raw id passed as a "hash" still spreads evenly.
  return pick_unit(unit(core::mix64(key_hash)));
}

}  // namespace sluice::balance
