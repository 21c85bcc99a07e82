#pragma once
/// Picking an instance that has room for one more request (see RoomLimits):
/// least outstanding requests by the power of two choices among the
/// instances with room. Pure: the random numbers are injected.
#include <cstdint>
#include <memory>
#include <span>

#include "sluice/balance/routing_table.h"

namespace sluice::balance {

bool has_room(const Instance& instance, const RoomLimits& limits);

/// Index of the chosen instance, or -1 when no available instance has room.
/// Samples two distinct instances (r1, r2); if neither has room, scans from
/// a position drawn from r1 for the first that has, so a pool where one
/// instance of a thousand has room still finds it.
int pick_with_room(std::span<const std::shared_ptr<Instance>> instances, const RoomLimits& limits, std::uint64_t r1,
                   std::uint64_t r2);

}  // namespace sluice::balance
