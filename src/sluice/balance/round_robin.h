#pragma once
/// Round robin: instances in turn, skipping those without room.
#include <cstdint>
#include <memory>
#include <span>

#include "sluice/balance/routing_table.h"

namespace sluice::balance {

/// A cursor over a model's instances. Each pick takes the first instance with
/// room (see has_room) at or after the cursor, and moves the cursor past it,
/// so instances take turns and a full or unavailable one loses its turn
/// rather than getting two in a row later.
///
/// Thread-safety: none; the owner serializes picks (the model pool picks
/// under its own mutex). The cursor is a position, not an instance, so a
/// republished routing table with a different instance count simply
/// continues from `cursor % size`.
class RoundRobin {
 public:
  /// Starts at `cursor`; seed it with a random number so that several gateway
  /// replicas do not all send their first request to instance 0.
  explicit RoundRobin(std::uint64_t cursor = 0) : cursor_(cursor) {}

  /// Index of the chosen instance, or -1 when none has room.
  int pick(std::span<const std::shared_ptr<Instance>> instances, const RoomLimits& limits);

  /// The position the next pick starts from (taken modulo the instance count).
  std::uint64_t cursor() const { return cursor_; }

 private:
  std::uint64_t cursor_ = 0;
};

}  // namespace sluice::balance
