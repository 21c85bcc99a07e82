#pragma once
/// Where a new instance of a model goes in the GPU pool, by score (pure).
///
/// A candidate is one node with `gpus` GPUs (tensor parallel stays on one
/// node) that each fit the instance's share of memory:
///   - awake memory (hot instances) + the share ≤ the GPU's memory, and
///   - all memory promised (awake + asleep instances) + the share ≤ the GPU's
///     memory × overcommit: asleep (warm) instances hold host memory, not GPU
///     memory, so with overcommit > 1 more of them can be parked on a GPU
///     than it could serve at once.
/// Among candidates, the best:
///   1. holds the model's weights already on every GPU (a warm instance of
///      it, or its cache): waking or loading from there is the fastest;
///   2. spreads the model's replicas over nodes: a node without one beats a
///      node with one;
///   3. lies in a preferred zone (active-passive: serving instances stay in
///      the preferred zones while they have room, standbys go to the
///      standby zone);
///   4. spreads them over zones: a zone without one beats a zone with one;
///   5. leaves the most free awake memory (the least-loaded GPUs);
///   ties go to the first node, then the lowest GPU indices.
/// When nothing fits, the answer says why.
#include <cstdint>
#include <expected>
#include <string>
#include <vector>

namespace sluice::fleet {

/// One GPU as the planner sees it now.
struct GpuView {
  std::string id;      // "n1/gpu0"
  std::string node;
  std::string zone;
  double memory_gb = 0;
  double awake_gb = 0;   // memory of hot instances here
  double asleep_gb = 0;  // memory promised to warm instances here
  std::vector<std::string> weights;   // models whose weights are here (warm instance or cache)
  std::vector<std::string> replicas;  // models with an instance (any temperature) here
  bool down = false;                  // its node or zone has failed: nothing goes here
};

struct PlacementRequest {
  std::string model;
  double gb_per_gpu = 0;  // (weights + KV reservation) / gpus
  int gpus = 1;           // tensor parallel
  std::vector<std::string> preferred_zones;
};

struct Placement {
  std::string node;
  std::string zone;
  std::vector<std::size_t> gpus;  // indices into the inventory
  bool weights_present = false;
};

/// The best placement, or why there is none. `overcommit` ≥ 1.
std::expected<Placement, std::string> place(const std::vector<GpuView>& inventory, const PlacementRequest& request,
                                            double overcommit = 1.0);

}  // namespace sluice::fleet
