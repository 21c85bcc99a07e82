#pragma once
/// The model's load-balancing policy (config BalanceConfig) applied to one
/// dispatched request: least_request (the default: power of two choices on
/// outstanding requests), round_robin, weighted_round_robin (instance
/// weights), least_tokens (outstanding estimated tokens), consistent_hash
/// and prefix_affinity (the request's key on a Maglev table or ring, with
/// the bounded-load rule). Only instances with room are chosen (has_room,
/// which also applies health and panic); backups only while no primary is
/// usable. Hash tables are rebuilt when the instance list changes.
/// Thread-safety: none; ModelPool calls it under its lock.
#include <cstdint>
#include <optional>
#include <vector>

#include "sluice/balance/hash_ring.h"
#include "sluice/balance/maglev.h"
#include "sluice/balance/round_robin.h"
#include "sluice/balance/weighted_round_robin.h"
#include "sluice/config/config.h"

namespace sluice::proxy {

class InstancePicker {
 public:
  explicit InstancePicker(config::BalanceConfig config) : config_(std::move(config)) {}

  /// Index into route.instances, or -1 when no instance has room. `key`:
  /// the request's hash key (hashed policies; none → least_request).
  int pick(const balance::ModelRoute& route, const balance::RoomLimits& room, std::optional<std::uint64_t> key,
           std::uint64_t r1, std::uint64_t r2);
  const config::BalanceConfig& config() const { return config_; }

 private:
  void sync(const balance::ModelRoute& route);
  /// Picks in one tier (0 primaries, 1 backups) that starts at `offset` in the whole list.
  int pick_in(std::span<const std::shared_ptr<balance::Instance>> instances, std::size_t tier, std::size_t offset,
              const balance::RoomLimits& room, std::optional<std::uint64_t> key, std::uint64_t r1, std::uint64_t r2);

  config::BalanceConfig config_;
  std::vector<std::uint64_t> serials_;  // the list the tables were built for
  std::vector<std::uint32_t> weights_;  // the instances' weights, same order
  std::vector<std::int64_t> tokens_;    // least_tokens' loads, reused per pick
  std::size_t primary_count_ = 0;
  std::optional<balance::MaglevTable> maglev_[2];  // per tier: primaries, backups
  std::optional<balance::HashRing> ring_[2];
  balance::RoundRobin round_robin_[2];
  balance::SmoothWeightedRoundRobin weighted_[2];
};

}  // namespace sluice::proxy
