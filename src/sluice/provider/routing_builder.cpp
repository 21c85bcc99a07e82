#include "sluice/provider/routing_builder.h"

#include <fmt/format.h>

#include <algorithm>

#include "sluice/engine/profile.h"
#include "sluice/health/circuit_breaker.h"
#include "sluice/provider/base_url.h"

namespace sluice::provider {

balance::RoomLimits room_limits(const config::Model& model) {
  constexpr std::int64_t kStaticDefault = 256;  // vLLM's default max_num_seqs
  balance::RoomLimits room;
  room.max_in_flight = model.scheduler.max_in_flight_per_instance;
  if (room.max_in_flight <= 0) {
    const engine::EngineProfile* profile =
        model.source == config::ModelSource::kSim ? engine::find_profile(model.sim.profile) : nullptr;
    room.max_in_flight = profile ? profile->max_num_seqs : kStaticDefault;
  }
  // The circuit breaker's in-flight cap is a hard limit above the room
  // check: an instance at it is skipped like a full one.
  room.max_in_flight = std::min(room.max_in_flight, model.circuit_breaker.max_in_flight);
  room.max_engine_waiting = model.scheduler.max_engine_waiting;
  room.max_kv_usage = model.scheduler.max_kv_usage;
  return room;
}

/// A new instance's breaker and starting health: unhealthy until its first
/// active check passes, when checks are on.
namespace {
void join_health(balance::Instance& instance, const config::Model& model) {
  const config::CircuitBreakerConfig& b = model.circuit_breaker;
  instance.breaker = std::make_shared<health::CircuitBreaker>(health::BreakerLimits{
      .max_connections = b.max_connections, .max_in_flight = b.max_in_flight, .max_pending = b.max_pending});
  instance.check_healthy.store(!model.health_check.enabled, std::memory_order_relaxed);
}
}  // namespace

std::shared_ptr<const balance::RoutingTable> build_routing_table(const config::Config& config, const SimFleet& fleet) {
  auto table = std::make_shared<balance::RoutingTable>();
  for (std::size_t i = 0; i < config.models.size(); ++i) {
    const config::Model& m = config.models[i];
    balance::ModelRoute route;
    route.name = m.name;
    route.upstream_model = m.upstream_model.empty() ? m.name : m.upstream_model;
    route.cache_salt = m.cache_salt;
    route.default_max_tokens = m.default_max_tokens;
    route.index = i;
    route.room = room_limits(m);
    if (m.source == config::ModelSource::kSim) {
      const auto fleet_instances = fleet.instances_of(m.name);
      for (std::size_t k = 0; k < fleet_instances.size(); ++k) {
        const auto& inst = fleet_instances[k];
        if (!inst->breaker) {  // first time in a table
          inst->backup = static_cast<int>(k) >= m.sim.instances - m.sim.backup_instances;
          join_health(*inst, m);
          inst->check_healthy.store(true, std::memory_order_relaxed);  // the fleet waited for its /health
        }
        if (inst->available.load()) route.instances.push_back(inst);
      }
    } else {
      int k = 0;
      for (const auto& endpoint : m.static_source.endpoints) {
        auto parsed = parse_base_url(endpoint.url);
        if (!parsed) continue;  // the loader validated the URLs
        auto inst = std::make_shared<balance::Instance>();
        inst->serial = balance::next_instance_serial();
        inst->id = core::InstanceId(fmt::format("{}/{}", m.name, k++));
        inst->host = parsed->host;
        inst->port = parsed->port;
        inst->base_path = parsed->path;
        inst->weight = endpoint.weight;
        inst->backup = endpoint.backup;
        join_health(*inst, m);
        route.instances.push_back(std::move(inst));
      }
    }
    // Backups last: the picker's tiers are a prefix of primaries.
    std::stable_partition(route.instances.begin(), route.instances.end(), [](const auto& i) { return !i->backup; });
    table->models.push_back(std::move(route));
  }
  table->index();
  return table;
}

}  // namespace sluice::provider
