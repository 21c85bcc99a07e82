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

/// Index of the chosen instance, or -1 when no available instance has room.
/// Samples two distinct instances (r1, r2); if neither has room, scans from
/// a position drawn from r1 for the first that has, so a pool where one
/// instance of a thousand has room still finds it.
int pick_with_room(std::span<const std::shared_ptr<Instance>> instances, const RoomLimits& limits, std::uint64_t r1,
                   std::uint64_t r2);

}  // namespace sluice::balance
