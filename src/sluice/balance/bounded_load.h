#pragma once
/// Consistent hashing with bounded loads (Mirrokni, Thorup, Zadimoghaddam,
/// SODA 2018): a key goes to its home instance unless that instance already
/// carries more than its share; then to the next instance on the key's walk
/// (ring clockwise, Maglev table onward) that does not. A hot key, or a hot
/// shared prompt prefix, thus spills to a few neighbours instead of
/// overloading one instance, while keys keep their affinity whenever load
/// allows.
///
/// The rule: with `total` requests in flight on the `n` available instances,
/// an instance may take the key only if its outstanding requests are below
///   bound = ceil(c × (total + 1) / n)
/// — the average counting the request being placed, so an idle pool's bound
/// is 1, not 0 — and it has room (has_room); so a pick never takes an
/// instance above the bound. Some available instance is always under it (the
/// least loaded one is), so the bound alone never leaves a request waiting.
/// Only if every instance under the bound lacks room does the least-loaded
/// instance with room take the key, bound or not: room is the hard limit,
/// the bound a spreading rule, and a request should not wait in the queue
/// while an instance has room.
///
/// Pure: loads are the instances' `outstanding` counters, read once per
/// instance per step.
#include <cstdint>
#include <memory>
#include <span>

#include "sluice/balance/hash_ring.h"
#include "sluice/balance/maglev.h"
#include "sluice/balance/routing_table.h"

namespace sluice::balance {

/// The paper's c: 1.25 keeps the busiest instance within 25% of the
/// average while moving few keys off their home. Values below 1 act as 1.
inline constexpr double kDefaultLoadFactor = 1.25;

/// ceil(c × (total + 1) / n), at least 1; 0 when n is 0.
std::int64_t load_bound(std::int64_t total, std::size_t n, double c = kDefaultLoadFactor);

/// Index of the chosen instance, or -1 when no instance has room.
/// Precondition: the table/ring was built from `instances` (same list, same
/// order), e.g. with for_instances on the same routing-table snapshot.
int pick_bounded_load(const MaglevTable& table, std::uint64_t key_hash,
                      std::span<const std::shared_ptr<Instance>> instances, const RoomLimits& limits,
                      double c = kDefaultLoadFactor);
int pick_bounded_load(const HashRing& ring, std::uint64_t key_hash,
                      std::span<const std::shared_ptr<Instance>> instances, const RoomLimits& limits,
                      double c = kDefaultLoadFactor);

}  // namespace sluice::balance
