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
  return pick_two_choices(instances, limits, r1, r2, [&instances](std::size_t i) {
    return instances[i]->outstanding.load(std::memory_order_relaxed);
  });
}

}  // namespace sluice::balance
