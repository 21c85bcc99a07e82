#include "sluice/fleet/placement.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <tuple>

namespace sluice::fleet {

namespace {

bool has(const std::vector<std::string>& list, const std::string& item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

bool fits(const GpuView& gpu, double need, double overcommit) {
  return gpu.awake_gb + need <= gpu.memory_gb && gpu.awake_gb + gpu.asleep_gb + need <= gpu.memory_gb * overcommit;
}

double free_awake(const GpuView& gpu) { return gpu.memory_gb - gpu.awake_gb; }

/// Ordered so that a greater key is a better candidate.
using Score = std::tuple<bool, bool, bool, bool, double>;

}  // namespace

std::expected<Placement, std::string> place(const std::vector<GpuView>& inventory, const PlacementRequest& request,
                                            double overcommit) {
  overcommit = std::max(overcommit, 1.0);
  const std::size_t want = static_cast<std::size_t>(std::max(request.gpus, 1));
  // GPUs by node, in inventory order; and where the model already runs.
  std::vector<std::string> nodes;
  std::map<std::string, std::vector<std::size_t>> by_node;
  std::set<std::string> nodes_with_replica, zones_with_replica;
  for (std::size_t i = 0; i < inventory.size(); ++i) {
    const GpuView& g = inventory[i];
    if (!by_node.contains(g.node)) nodes.push_back(g.node);
    by_node[g.node].push_back(i);
    if (has(g.replicas, request.model)) {
      nodes_with_replica.insert(g.node);
      zones_with_replica.insert(g.zone);
    }
  }

  std::optional<Placement> best;
  Score best_score{};
  std::size_t most_fitting = 0;
  std::string most_fitting_node;
  for (const std::string& node : nodes) {
    // The GPUs of this node that fit, best first: weights present, then most free.
    std::vector<std::size_t> fitting;
    for (std::size_t i : by_node[node]) {
      if (!inventory[i].down && fits(inventory[i], request.gb_per_gpu, overcommit)) fitting.push_back(i);
    }
    if (fitting.size() > most_fitting) {
      most_fitting = fitting.size();
      most_fitting_node = node;
    }
    if (fitting.size() < want) continue;
    std::stable_sort(fitting.begin(), fitting.end(), [&](std::size_t a, std::size_t b) {
      const bool wa = has(inventory[a].weights, request.model);
      const bool wb = has(inventory[b].weights, request.model);
      if (wa != wb) return wa;
      return free_awake(inventory[a]) > free_awake(inventory[b]);
    });
    fitting.resize(want);
    const std::string& zone = inventory[fitting.front()].zone;
    bool weights = true;
    double least_free = inventory[fitting.front()].memory_gb;
    for (std::size_t i : fitting) {
      weights = weights && has(inventory[i].weights, request.model);
      least_free = std::min(least_free, free_awake(inventory[i]) - request.gb_per_gpu);
    }
    const Score score{weights, !nodes_with_replica.contains(node), has(request.preferred_zones, zone),
                      !zones_with_replica.contains(zone), least_free};
    if (!best || score > best_score) {
      best = Placement{node, zone, fitting, weights};
      best_score = score;
    }
  }
  if (best) {
    std::sort(best->gpus.begin(), best->gpus.end());
    return *best;
  }
  if (inventory.empty()) return std::unexpected(std::string("the inventory has no GPUs"));
  return std::unexpected(fmt::format(
      "{} needs {} GPU{} with {:.1f} GB free on one node (overcommit {:.2f}); {}", request.model, want,
      want == 1 ? "" : "s", request.gb_per_gpu, overcommit,
      most_fitting == 0 ? std::string("no GPU has that much free")
                        : fmt::format("the most on one node is {} on {}", most_fitting, most_fitting_node)));
}

}  // namespace sluice::fleet
