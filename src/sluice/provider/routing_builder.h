#pragma once
#include <memory>

#include "sluice/balance/routing_table.h"
#include "sluice/config/config.h"
#include "sluice/provider/sim_fleet.h"

namespace sluice::provider {

/// The routing table for `config`: static endpoints as given, sim instances
/// from `fleet` (only those still available).
std::shared_ptr<const balance::RoutingTable> build_routing_table(const config::Config& config, const SimFleet& fleet);

}  // namespace sluice::provider
