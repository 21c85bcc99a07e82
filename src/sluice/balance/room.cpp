#include "sluice/balance/room.h"

#include <algorithm>
#include <limits>

namespace sluice::balance {

bool has_room(const Instance& instance, const RoomLimits& limits) {
  if (!instance.available.load(std::memory_order_relaxed)) return false;
  if (!limits.panic && !instance.usable(limits.now_ns)) return false;
  const std::int64_t outstanding = instance.outstanding.load(std::memory_order_relaxed);
  return outstanding < limits.max_in_flight && outstanding < instance.engine_limit.load(std::memory_order_relaxed);
}

std::int64_t engine_limit(std::int64_t outstanding, std::optional<std::int64_t> waiting,
                          std::optional<double> kv_usage, const RoomLimits& limits) {
  std::int64_t limit = std::numeric_limits<std::int64_t>::max();
  if (waiting && *waiting > limits.max_engine_waiting) {
    limit = outstanding - (*waiting - limits.max_engine_waiting);
  }
  if (kv_usage && *kv_usage > limits.max_kv_usage) limit = std::min(limit, outstanding);
  return limit;
}

int pick_with_room(std::span<const std::shared_ptr<Instance>> instances, const RoomLimits& limits, std::uint64_t r1,
                   std::uint64_t r2) {
  const std::size_t n = instances.size();
  if (n == 0) return -1;
  if (n == 1) return has_room(*instances[0], limits) ? 0 : -1;
  const std::size_t a = r1 % n;
  std::size_t b = r2 % (n - 1);
  if (b >= a) ++b;  // distinct second choice
  const bool room_a = has_room(*instances[a], limits);
  const bool room_b = has_room(*instances[b], limits);
  if (room_a && room_b) {
    return instances[b]->outstanding.load(std::memory_order_relaxed) <
                   instances[a]->outstanding.load(std::memory_order_relaxed)
               ? static_cast<int>(b)
               : static_cast<int>(a);
  }
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
