#pragma once
/// A weighted split among a few targets (routes, model versions, canaries):
/// 90/10 sends nine requests in ten to the first. Pure: the draw is an
/// injected random number, or a key's hash when the same key must always
/// land on the same side (sticky sessions, per-user canaries).
#include <cstdint>
#include <span>
#include <vector>

namespace sluice::balance {

/// Targets own consecutive stretches of [0, 1) in proportion to their
/// weights, in list order; a draw picks the stretch it falls in. Because the
/// stretches keep their order, moving a split from 90/10 to 80/20 moves only
/// the sticky keys in [0.8, 0.9) — a canary grows without reshuffling the
/// keys it already had.
///
/// Thread-safety: immutable after construction; share it freely.
class WeightedSplit {
 public:
  /// Zero weights are allowed (that target is never picked).
  explicit WeightedSplit(std::span<const std::uint32_t> weights);

  std::size_t size() const { return cumulative_.size(); }
  /// Sum of the weights.
  std::uint64_t total() const { return cumulative_.empty() ? 0 : cumulative_.back(); }

  /// Target for a uniform draw `u` in [0, 1), or -1 when every weight is 0.
  int pick_unit(double u) const;
  /// Target for a uniform random 64-bit number (e.g. from std::mt19937_64).
  int pick(std::uint64_t random) const;
  /// Target for a stable key hash (stable_hash of a user, tenant or session
  /// id): the same key always picks the same target while weights stay.
  int pick_sticky(std::uint64_t key_hash) const;

 private:
  std::vector<std::uint64_t> cumulative_;  // running sums of the weights
};

}  // namespace sluice::balance
