#include "sluice/provider/routing_builder.h"

#include <fmt/format.h>

#include "sluice/engine/profile.h"
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
  room.max_engine_waiting = model.scheduler.max_engine_waiting;
  room.max_kv_usage = model.scheduler.max_kv_usage;
  return room;
}

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
      for (auto& inst : fleet.instances_of(m.name)) {
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
        route.instances.push_back(std::move(inst));
      }
    }
    table->models.push_back(std::move(route));
  }
  table->index();
  return table;
}

}  // namespace sluice::provider
