#include "sluice/fleet/desired.h"

#include <fmt/format.h>

#include <algorithm>

namespace sluice::fleet {

bool managed(const config::Model& model) { return model.source != config::ModelSource::kStatic; }

double gb_per_gpu(const config::Model& model, const WeightsLookup& weights_gb) {
  const double weights = model.gpu.weights_gb > 0 ? model.gpu.weights_gb : (weights_gb ? weights_gb(model) : 0.0);
  return (weights + model.gpu.kv_cache_gb) / std::max(model.gpu.count, 1);
}

namespace {

ModelPolicy policy_of(const config::Model& m, const WeightsLookup& weights_gb) {
  ModelPolicy p;
  p.name = m.name;
  p.priority = m.recovery.priority;
  if (!managed(m)) {
    p.hot_min = p.hot_max = 0;
    return p;
  }
  p.hot_min = m.serving_minimum();
  p.hot_max = std::max(m.demand.max_hot, p.hot_min);
  p.standby = m.recovery.standby;
  p.gpus = m.gpu.count;
  p.gb_per_gpu = gb_per_gpu(m, weights_gb);
  p.preferred_zones = m.recovery.preferred_zones;
  p.standby_zone = m.recovery.standby_zone;
  p.wake_queue_depth = m.demand.wake_queue_depth;
  p.idle_sleep = m.demand.idle_sleep;
  p.tenant = m.dedicated_to;
  return p;
}

/// One zone and node "local" with a GPU per instance any policy may ask
/// for (plus as many again for replacements under way), each of 80 GB or
/// the largest need.
std::vector<GpuSlot> local_inventory(const std::vector<ModelPolicy>& models) {
  int gpus = 0;
  double memory = 80;  // an H100's
  for (const ModelPolicy& p : models) {
    const int instances = p.hot_max + p.standby.hot + p.standby.warm + p.standby.cold;
    gpus += 2 * instances * p.gpus;
    memory = std::max(memory, p.gb_per_gpu);
  }
  std::vector<GpuSlot> out;
  for (int g = 0; g < gpus; ++g) out.push_back({fmt::format("local/gpu{}", g), "local", "local", memory});
  return out;
}

}  // namespace

Desired desired_from(const config::Config& config, const WeightsLookup& weights_gb) {
  Desired d;
  d.overcommit = config.fleet.overcommit;
  for (const auto& m : config.models) d.models.push_back(policy_of(m, weights_gb));
  for (const auto& t : config.tenants) {
    if (t.gpu_quota.max_gpus > 0 || t.gpu_quota.max_memory_gb > 0) {
      d.quotas.push_back({t.id, t.gpu_quota.max_gpus, t.gpu_quota.max_memory_gb});
    }
  }
  if (config.fleet.zones.empty()) {
    d.inventory = local_inventory(d.models);
  } else {
    for (const auto& zone : config.fleet.zones) {
      for (const auto& node : zone.nodes) {
        for (int g = 0; g < node.gpus; ++g) {
          d.inventory.push_back({fmt::format("{}/gpu{}", node.name, g), node.name, zone.name, node.gpu_memory_gb});
        }
      }
    }
  }
  // A model of unknown size (no weights or KV-cache figures) takes whole
  // GPUs: the smallest GPU's memory each.
  double smallest = 0;
  for (const GpuSlot& g : d.inventory) smallest = smallest == 0 ? g.memory_gb : std::min(smallest, g.memory_gb);
  for (ModelPolicy& p : d.models) {
    if (p.gb_per_gpu <= 0) p.gb_per_gpu = smallest;
  }
  return d;
}

}  // namespace sluice::fleet
