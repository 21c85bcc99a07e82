#include "sluice/provider/routing_builder.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "sluice/engine/profile.h"
#include "sluice/health/circuit_breaker.h"
#include "sluice/net/tls.h"
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
  instance.breaker = std::make_shared<health::CircuitBreaker>(model.circuit_breaker);
  instance.check_healthy.store(!model.health_check.enabled, std::memory_order_relaxed);
}
}  // namespace

/// Whether an instance made for another config speaks to `url` as this
/// model's settings say: the same scheme and, for https, the same checks.
bool same_tls(const balance::Instance& inst, const BaseUrl& url, const config::StaticSource& source) {
  if (!url.tls) return inst.tls == nullptr;
  return inst.tls && inst.tls->verify() == source.verify && inst.tls->ca_file() == source.ca_file;
}

/// The model's TLS settings for its https endpoints, made once per build
/// (the loader checked the CA file; should it have gone since, the error
/// is logged and the https endpoints are left out rather than spoken to
/// without their checks).
class ModelTls {
 public:
  explicit ModelTls(const config::Model& model) : model_(model) {}
  std::shared_ptr<net::UpstreamTls> get() {
    if (!made_) {
      made_ = true;
      auto tls = net::UpstreamTls::make(model_.static_source.verify, model_.static_source.ca_file);
      if (tls) {
        tls_ = std::move(*tls);
      } else {
        spdlog::error("model {}: its https endpoints are left out: {}", model_.name, tls.error());
      }
    }
    return tls_;
  }

 private:
  const config::Model& model_;
  bool made_ = false;
  std::shared_ptr<net::UpstreamTls> tls_;
};

/// `previous`'s static instance at `host:port/base_path` not taken yet, or null.
std::shared_ptr<balance::Instance> take_previous(const balance::ModelRoute* previous, const BaseUrl& url,
                                                 std::vector<bool>& taken) {
  if (!previous) return nullptr;
  for (std::size_t i = 0; i < previous->instances.size(); ++i) {
    const auto& inst = previous->instances[i];
    if (!taken[i] && inst->host == url.host && inst->port == url.port && inst->base_path == url.path) {
      taken[i] = true;
      return inst;
    }
  }
  return nullptr;
}

/// "model/k" with the smallest k that no instance in `lists` has.
core::InstanceId free_id(const std::string& model,
                         std::initializer_list<const std::vector<std::shared_ptr<balance::Instance>>*> lists) {
  for (int k = 0;; ++k) {
    const std::string id = fmt::format("{}/{}", model, k);
    const auto has = [&](const auto& list) {
      return std::any_of(list.begin(), list.end(), [&](const auto& i) { return i && i->id.str() == id; });
    };
    if (std::none_of(lists.begin(), lists.end(), [&](const auto* list) { return has(*list); })) {
      return core::InstanceId(id);
    }
  }
}

std::shared_ptr<const balance::RoutingTable> build_routing_table(const config::Config& config,
                                                                 const ServingLookup& serving,
                                                                 const balance::RoutingTable* previous) {
  auto table = std::make_shared<balance::RoutingTable>();
  for (std::size_t i = 0; i < config.models.size(); ++i) {
    const config::Model& m = config.models[i];
    balance::ModelRoute route;
    route.name = m.name;
    route.upstream_model = m.upstream_model.empty() ? m.name : m.upstream_model;
    route.cache_salt = m.cache_salt;
    route.default_max_tokens = m.default_max_tokens;
    route.max_model_len = m.max_model_len.value_or(0);
    if (!m.max_model_len && m.source == config::ModelSource::kSim) {
      if (const engine::EngineProfile* profile = engine::find_profile(m.sim.profile)) route.max_model_len = profile->max_model_len;
    }
    route.index = i;
    route.room = room_limits(m);
    if (m.source != config::ModelSource::kStatic) {
      const int backups = m.source == config::ModelSource::kSim ? m.sim.backup_instances : 0;
      const auto fleet_instances = serving ? serving(m.name) : std::vector<std::shared_ptr<balance::Instance>>{};
      // The last `backup_instances` of the serving minimum are backups: an
      // instance joining while fewer primaries serve is a primary.
      int primaries = 0;
      for (const auto& inst : fleet_instances) primaries += inst->breaker && !inst->backup ? 1 : 0;
      for (const auto& inst : fleet_instances) {
        if (!inst->breaker) {  // first time in a table
          inst->backup = primaries >= m.serving_minimum() - backups;
          primaries += inst->backup ? 0 : 1;
          join_health(*inst, m);
          inst->check_healthy.store(true, std::memory_order_relaxed);  // the fleet waited for its /health
        }
        if (inst->available.load()) route.instances.push_back(inst);
      }
    } else {
      const balance::ModelRoute* before = nullptr;
      if (previous && i < previous->models.size() && previous->models[i].name == m.name) before = &previous->models[i];
      std::vector<bool> taken(before ? before->instances.size() : 0, false);
      // Match every endpoint with its previous instance first, so that new
      // endpoints get ids the staying ones do not have.
      std::vector<std::shared_ptr<balance::Instance>> kept(m.static_source.endpoints.size());
      std::vector<std::shared_ptr<balance::Instance>> old_of(m.static_source.endpoints.size());
      for (std::size_t e = 0; e < m.static_source.endpoints.size(); ++e) {
        const auto& endpoint = m.static_source.endpoints[e];
        auto parsed = parse_base_url(endpoint.url);
        if (!parsed) continue;  // the loader validated the URLs
        old_of[e] = take_previous(before, *parsed, taken);
        if (old_of[e] && old_of[e]->weight == endpoint.weight && old_of[e]->backup == endpoint.backup &&
            same_tls(*old_of[e], *parsed, m.static_source)) {
          kept[e] = old_of[e];
        }
      }
      ModelTls model_tls(m);
      for (std::size_t e = 0; e < m.static_source.endpoints.size(); ++e) {
        const auto& endpoint = m.static_source.endpoints[e];
        if (kept[e]) {
          route.instances.push_back(kept[e]);
          continue;
        }
        auto parsed = parse_base_url(endpoint.url);
        if (!parsed) continue;
        std::shared_ptr<net::UpstreamTls> tls = parsed->tls ? model_tls.get() : nullptr;
        if (parsed->tls && !tls) continue;
        auto inst = std::make_shared<balance::Instance>();
        inst->serial = balance::next_instance_serial();
        // The same endpoint keeps its id; a new one takes one nobody has.
        inst->id = old_of[e] ? old_of[e]->id : free_id(m.name, {&old_of, &route.instances});
        inst->host = parsed->host;
        inst->port = parsed->port;
        inst->base_path = parsed->path;
        inst->tls = std::move(tls);
        inst->weight = endpoint.weight;
        inst->backup = endpoint.backup;
        join_health(*inst, m);
        if (old_of[e]) {  // the same endpoint with a new weight or backup flag
          inst->check_healthy.store(old_of[e]->check_healthy.load(), std::memory_order_relaxed);
          inst->ejected_until_ns.store(old_of[e]->ejected_until_ns.load(), std::memory_order_relaxed);
          old_of[e]->available.store(false, std::memory_order_relaxed);
        }
        route.instances.push_back(std::move(inst));
      }
      for (std::size_t k = 0; k < taken.size(); ++k) {
        if (!taken[k]) before->instances[k]->available.store(false, std::memory_order_relaxed);  // removed
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
