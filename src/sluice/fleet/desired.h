#pragma once
/// The fleet's desired state from the config (pure): the GPU inventory
/// (zones → nodes → GPUs; without `fleet.zones`, one zone and one node
/// "local" with a GPU for every instance the policies can ask for) and each
/// managed (`sim` and `process`) model's policy. Static models are not managed (their endpoints
/// run elsewhere) and get a policy of zero instances. A model whose size is
/// unknown (no weights or KV-cache figures) takes whole GPUs.
#include <functional>

#include "sluice/config/config.h"
#include "sluice/fleet/reconcile.h"

namespace sluice::fleet {

/// The weights size of a model when its `gpu.weights_gb` is not given (the
/// sim profile's), in GB.
using WeightsLookup = std::function<double(const config::Model&)>;

Desired desired_from(const config::Config& config, const WeightsLookup& weights_gb);

/// Whether the fleet controller starts and stops `model`'s instances.
bool managed(const config::Model& model);

/// The GB one instance of `model` needs on each of its GPUs.
double gb_per_gpu(const config::Model& model, const WeightsLookup& weights_gb);

}  // namespace sluice::fleet
