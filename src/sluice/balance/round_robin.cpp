#include "sluice/balance/round_robin.h"

#include "sluice/balance/room.h"

namespace sluice::balance {

int RoundRobin::pick(std::span<const std::shared_ptr<Instance>> instances, const RoomLimits& limits) {
  const std::size_t n = instances.size();
  if (n == 0) return -1;
  const std::size_t start = static_cast<std::size_t>(cursor_ % n);
  for (std::size_t k = 0; k < n; ++k) {
    const std::size_t i = (start + k) % n;
    if (has_room(*instances[i], limits)) {
      cursor_ = i + 1;
      return static_cast<int>(i);
    }
  }
  return -1;
}

}  // namespace sluice::balance
