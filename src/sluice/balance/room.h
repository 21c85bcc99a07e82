#pragma once
/// Picking an instance that has room for one more request (see RoomLimits):
/// least outstanding requests by the power of two choices among the
/// instances with room. Pure: the random numbers are injected.
#include <cstdint>
#include <memory>
#include <optional>
#include <span>

#include "sluice/balance/routing_table.h"

namespace sluice::balance {

bool has_room(const Instance& instance, const RoomLimits& limits);

/// The in-flight limit an engine's load implies, given `outstanding`
/// requests from this gateway when the load was read: an engine holding
/// `waiting` requests in its own queue runs `outstanding - waiting`, so it
/// may have `max_engine_waiting` more than that; with KV-cache use above
/// `max_kv_usage`, nothing more until a request ends. Unknown figures
/// impose nothing. The limit is a count, not a flag, so room comes back as
/// soon as requests end, without waiting for the next scrape.
std::int64_t engine_limit(std::int64_t outstanding, std::optional<std::int64_t> waiting,
                          std::optional<double> kv_usage, const RoomLimits& limits);

/// The power of two choices among instances with room: samples two distinct
/// instances (r1, r2) and takes the one with the lower `load(index)` (the
/// first sample on a tie); if only one has room, that one; if neither has,
/// scans from a position drawn from r1 for the first that has, so a pool
/// where one instance of a thousand has room still finds it. Index, or -1.
template <typename Load>
int pick_two_choices(std::span<const std::shared_ptr<Instance>> instances, const RoomLimits& limits,
                     std::uint64_t r1, std::uint64_t r2, Load&& load) {
  const std::size_t n = instances.size();
  if (n == 0) return -1;
  if (n == 1) return has_room(*instances[0], limits) ? 0 : -1;
  const std::size_t a = r1 % n;
  std::size_t b = r2 % (n - 1);
  if (b >= a) ++b;  // distinct second choice
  const bool room_a = has_room(*instances[a], limits);
  const bool room_b = has_room(*instances[b], limits);
  if (room_a && room_b) return static_cast<int>(load(b) < load(a) ? b : a);
  if (room_a) return static_cast<int>(a);
  if (room_b) return static_cast<int>(b);
  const std::size_t start = (r1 / n) % n;
  for (std::size_t k = 0; k < n; ++k) {
    const std::size_t i = (start + k) % n;
    if (has_room(*instances[i], limits)) return static_cast<int>(i);
  }
  return -1;
}

/// pick_two_choices by outstanding requests: index, or -1 when no available
/// instance has room.
int pick_with_room(std::span<const std::shared_ptr<Instance>> instances, const RoomLimits& limits, std::uint64_t r1,
                   std::uint64_t r2);

}  // namespace sluice::balance
