#pragma once
#include <memory>

#include "sluice/balance/routing_table.h"
#include "sluice/config/config.h"
#include <functional>
#include <string_view>
#include <vector>

namespace sluice::provider {

/// When an instance of `model` has room: its scheduler settings, with
/// max_in_flight_per_instance "auto" resolved to the sim profile's
/// max_num_seqs (256, vLLM's default, for static endpoints).
balance::RoomLimits room_limits(const config::Model& model);

/// The serving instances of a fleet-managed model (FleetController::serving).
using ServingLookup = std::function<std::vector<std::shared_ptr<balance::Instance>>(std::string_view model)>;

/// The routing table for `config`: static endpoints as given, the instances
/// of fleet-managed (`sim`, `process`) models from `serving` (those in rotation now).
///
/// With `previous` (a config reload; same model list): a static endpoint
/// whose URL, weight and backup flag are unchanged keeps its Instance, so
/// its counters, health, breaker and in-flight slots carry over. One whose
/// weight or backup flag changed gets a new Instance that starts with the
/// old one's health verdict. New endpoints join like at start (unhealthy
/// until their first passing check when checks are on). Removed ones leave
/// the table; requests running on them finish there.
std::shared_ptr<const balance::RoutingTable> build_routing_table(const config::Config& config,
                                                                 const ServingLookup& serving,
                                                                 const balance::RoutingTable* previous = nullptr);

}  // namespace sluice::provider
