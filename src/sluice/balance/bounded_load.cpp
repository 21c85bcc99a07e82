#include "sluice/balance/bounded_load.h"

#include <algorithm>
#include <cmath>

#include "sluice/balance/room.h"

namespace sluice::balance {

namespace {

std::int64_t load_of(const Instance& instance) { return instance.outstanding.load(std::memory_order_relaxed); }

/// `Walk`: MaglevTable or HashRing (walk_start, walk_length, walk_entry).
template <typename Walk>
int pick_on_walk(const Walk& walk, std::uint64_t key_hash, std::span<const std::shared_ptr<Instance>> instances,
                 const RoomLimits& limits, double c) {
  const std::size_t n = instances.size();
  if (n == 0 || walk.instance_count() != n || walk.walk_length() == 0) return -1;
  std::int64_t total = 0;
  std::size_t available = 0;
  for (const auto& instance : instances) {
    if (!instance->available.load(std::memory_order_relaxed)) continue;
    total += load_of(*instance);
    ++available;
  }
  if (available == 0) return -1;
  const std::int64_t bound = load_bound(total, available, c);
  const auto accepts = [&](std::size_t i) {
    return has_room(*instances[i], limits) && load_of(*instances[i]) < bound;
  };
  // Walk only when some instance accepts, so a pool without room costs O(n),
  // not a walk of the whole table.
  bool any = false;
  for (std::size_t i = 0; i < n && !any; ++i) any = accepts(i);
  if (any) {
    const std::size_t start = walk.walk_start(key_hash);
    for (std::size_t k = 0; k < walk.walk_length(); ++k) {
      const std::size_t i = walk.walk_entry(start + k);
      if (accepts(i)) return static_cast<int>(i);
    }
  }
  // No instance under the bound has room (or loads moved while walking):
  // the least-loaded instance with room.
  int best = -1;
  std::int64_t best_load = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (!has_room(*instances[i], limits)) continue;
    const std::int64_t load = load_of(*instances[i]);
    if (best < 0 || load < best_load) {
      best = static_cast<int>(i);
      best_load = load;
    }
  }
  return best;
}

}  // namespace

std::int64_t load_bound(std::int64_t total, std::size_t n, double c) {
  if (n == 0) return 0;
  c = std::max(c, 1.0);
  // The epsilon keeps an exact quotient (1.25 × 8 / 10 = 1) from rounding up
  // to the next integer through floating-point error.
  const double share = c * static_cast<double>(std::max<std::int64_t>(total, 0) + 1) / static_cast<double>(n);
  return std::max<std::int64_t>(1, static_cast<std::int64_t>(std::ceil(share - 1e-9)));
}

int pick_bounded_load(const MaglevTable& table, std::uint64_t key_hash,
                      std::span<const std::shared_ptr<Instance>> instances, const RoomLimits& limits, double c) {
  return pick_on_walk(table, key_hash, instances, limits, c);
}

int pick_bounded_load(const HashRing& ring, std::uint64_t key_hash,
                      std::span<const std::shared_ptr<Instance>> instances, const RoomLimits& limits, double c) {
  return pick_on_walk(ring, key_hash, instances, limits, c);
}

}  // namespace sluice::balance
