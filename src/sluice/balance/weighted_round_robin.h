#pragma once
/// Smooth weighted round robin (nginx's algorithm): instances in proportion to
/// their weights, interleaved rather than in bursts. Weights 5, 1, 1 give
/// a a b a c a a, then repeat.
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "sluice/balance/routing_table.h"

namespace sluice::balance {

/// Each pick adds every eligible instance's weight to its running score,
/// takes the instance with the highest score (the first on a tie) and
/// subtracts the total of the eligible weights from it. Over any window of
/// sum(weights) picks each instance gets exactly its weight, and the
/// heaviest never runs more than needed in a row.
///
/// Eligible: weight > 0 and room for one more request (has_room). An
/// ineligible instance neither gains nor loses score, so it resumes where it
/// was once it has room again.
///
/// Thread-safety: none; the owner serializes picks (the model pool picks
/// under its own mutex). The scores are per position: call reset() when the
/// routing table is republished with different instances (a change of
/// instance count resets on its own).
class SmoothWeightedRoundRobin {
 public:
  /// Index of the chosen instance, or -1 when no eligible instance exists.
  /// Precondition: weights.size() == instances.size().
  int pick(std::span<const std::shared_ptr<Instance>> instances, std::span<const std::uint32_t> weights,
           const RoomLimits& limits);

  void reset() { scores_.clear(); }

 private:
  std::vector<std::int64_t> scores_;
};

}  // namespace sluice::balance
