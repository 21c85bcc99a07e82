#pragma once
/// Least outstanding tokens by the power of two choices: like
/// pick_with_room, but the load compared is the estimated tokens in flight
/// on each instance rather than the request count, so one instance holding
/// a few 30k-token prompts is not taken for idle. Pure: the loads and the
/// random numbers are injected.
///
/// The loads come from the caller, parallel to the instances: the gateway is
/// to keep an `outstanding_tokens` counter per instance, adding a request's
/// estimate (input tokens + max_tokens, the figure the scheduler charges at
/// dispatch) when it starts there and subtracting the same figure when it
/// ends, so the counter returns to zero however the estimate compared with
/// the real usage.
#include <cstdint>
#include <memory>
#include <span>

#include "sluice/balance/routing_table.h"

namespace sluice::balance {

/// Index of the chosen instance, or -1 when no instance has room (has_room).
/// Samples two distinct instances (r1, r2) and takes the one with fewer
/// outstanding tokens (the first sample on a tie); if only one has room,
/// that one; if neither has, scans from a position drawn from r1 for the
/// first that has. Precondition: tokens.size() == instances.size().
int pick_least_tokens(std::span<const std::shared_ptr<Instance>> instances, std::span<const std::int64_t> tokens,
                      const RoomLimits& limits, std::uint64_t r1, std::uint64_t r2);

}  // namespace sluice::balance
