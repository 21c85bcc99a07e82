#include "sluice/balance/least_tokens.h"

#include "sluice/balance/room.h"

namespace sluice::balance {

int pick_least_tokens(std::span<const std::shared_ptr<Instance>> instances, std::span<const std::int64_t> tokens,
                      const RoomLimits& limits, std::uint64_t r1, std::uint64_t r2) {
  const std::size_t n = instances.size();
  if (n == 0 || tokens.size() != n) return -1;
  if (n == 1) return has_room(*instances[0], limits) ? 0 : -1;
  const std::size_t a = r1 % n;
  std::size_t b = r2 % (n - 1);
  if (b >= a) ++b;  // distinct second choice
  const bool room_a = has_room(*instances[a], limits);
  const bool room_b = has_room(*instances[b], limits);
  if (room_a && room_b) return static_cast<int>(tokens[b] < tokens[a] ? b : a);
  if (room_a) return static_cast<int>(a);
  if (room_b) return static_cast<int>(b);
  const std::size_t start = (r1 / n) % n;
  for (std::size_t k = 0; k < n; ++k) {
    const std::size_t i = (start + k) % n;
    if (has_room(*instances[i], limits)) return static_cast<int>(i);
  }
  return -1;
}

}  // namespace sluice::balance
