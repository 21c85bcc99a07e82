#include "sluice/balance/least_tokens.h"

#include "sluice/balance/room.h"

namespace sluice::balance {

int pick_least_tokens(std::span<const std::shared_ptr<Instance>> instances, std::span<const std::int64_t> tokens,
                      const RoomLimits& limits, std::uint64_t r1, std::uint64_t r2) {
  if (tokens.size() != instances.size()) return -1;
  return pick_two_choices(instances, limits, r1, r2, [&tokens](std::size_t i) { return tokens[i]; });
}

}  // namespace sluice::balance
