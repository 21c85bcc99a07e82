/// The GPU pool: the top-level `fleet` section (inventory, overcommit,
/// controller timing), each model's `gpu`, `recovery`, `demand` and
/// `dedicated_to`, and each tenant's `gpu_quota`. Cross-checks (zones that
/// exist, instances that fit a node) are in check_fleet, run by validate.
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <limits>
#include <map>

#include "sluice/config/sections.h"
#include "sluice/config/suggest.h"

namespace sluice::config {
namespace {

constexpr std::int64_t kMaxInt = std::numeric_limits<int>::max();
constexpr std::array<std::string_view, 3> kPriorities = {"critical", "high", "normal"};

/// A list of non-empty strings under `name`; nothing when absent.
std::vector<std::string> read_string_list(Reader& reader, const MapReader& m, std::string_view name) {
  std::vector<std::string> out;
  if (!m.has(name)) return out;
  const YAML::Node list = m.get(name);
  const std::string key = m.key_of(name);
  if (!reader.expect_list(list, key, m.location_of_child(name))) return out;
  for (std::size_t i = 0; i < list.size(); ++i) {
    const std::string item = fmt::format("{}[{}]", key, i);
    if (auto text = reader.string(list[i], item, reader.where(item), /*allow_empty=*/false)) out.push_back(*text);
  }
  return out;
}

NodeConfig read_node(Reader& reader, const YAML::Node& node, const std::string& key, Location at) {
  NodeConfig out;
  MapReader n(reader, node, key, at, {"name", "gpus", "gpu_memory_gb"});
  if (!n.is_map()) return out;
  if (n.require("name")) out.name = n.string("name").value_or("");
  set_if(out.gpus, n.integer("gpus", 1, 1024));
  set_if(out.gpu_memory_gb, n.positive_number("gpu_memory_gb"));
  return out;
}

ZoneConfig read_zone(Reader& reader, const YAML::Node& node, const std::string& key, Location at) {
  ZoneConfig out;
  MapReader z(reader, node, key, at, {"name", "nodes"});
  if (!z.is_map()) return out;
  if (z.require("name")) out.name = z.string("name").value_or("");
  if (!z.require("nodes")) return out;
  const YAML::Node list = z.get("nodes");
  const std::string nodes_key = z.key_of("nodes");
  if (!reader.expect_list(list, nodes_key, z.location_of_child("nodes"))) return out;
  if (list.size() == 0) reader.fail(z.location_of_child("nodes"), nodes_key, "expected at least one node");
  for (std::size_t i = 0; i < list.size(); ++i) {
    const std::string item = fmt::format("{}[{}]", nodes_key, i);
    out.nodes.push_back(read_node(reader, list[i], item, reader.where(item)));
  }
  return out;
}

void read_standby(const MapReader& r, StandbyCounts& out) {
  if (!r.has("standby")) return;
  MapReader s = r.child("standby", {"hot", "warm", "cold"});
  if (!s.is_map()) return;
  set_if(out.hot, s.integer("hot", 0, 64));
  set_if(out.warm, s.integer("warm", 0, 64));
  set_if(out.cold, s.integer("cold", 0, 64));
}

}  // namespace

void read_fleet(Reader& reader, const MapReader& root, FleetConfig& fleet) {
  if (!root.has("fleet")) return;
  MapReader f = root.child("fleet", {"zones", "overcommit", "reconcile_interval", "start_timeout",
                                     "zone_failure_threshold", "zone_failure_window"});
  if (!f.is_map()) return;
  if (f.has("zones")) {
    const YAML::Node list = f.get("zones");
    const std::string key = f.key_of("zones");
    if (reader.expect_list(list, key, f.location_of_child("zones"))) {
      if (list.size() == 0) reader.fail(f.location_of_child("zones"), key, "expected at least one zone");
      for (std::size_t i = 0; i < list.size(); ++i) {
        const std::string item = fmt::format("{}[{}]", key, i);
        fleet.zones.push_back(read_zone(reader, list[i], item, reader.where(item)));
      }
    }
  }
  if (auto ratio = f.positive_number("overcommit")) {
    if (*ratio < 1.0) {
      reader.fail(f.location_of_child("overcommit"), f.key_of("overcommit"),
                  fmt::format("must be at least 1 (1 = no overcommit), got {}", *ratio));
    }
    fleet.overcommit = *ratio;
  }
  set_if(fleet.reconcile_interval, f.duration("reconcile_interval"));
  set_if(fleet.start_timeout, f.duration("start_timeout"));
  if (auto share = f.positive_number("zone_failure_threshold")) {
    if (*share > 1.0) {
      reader.fail(f.location_of_child("zone_failure_threshold"), f.key_of("zone_failure_threshold"),
                  fmt::format("expected a fraction in (0, 1], got {}", *share));
    }
    fleet.zone_failure_threshold = *share;
  }
  set_if(fleet.zone_failure_window, f.duration("zone_failure_window"));
}

void read_model_fleet(Reader& reader, const MapReader& m, Model& model) {
  if (m.has("gpu")) {
    MapReader g = m.child("gpu", {"count", "weights_gb", "kv_cache_gb"});
    if (g.is_map()) {
      set_if(model.gpu.count, g.integer("count", 1, 64));
      set_if(model.gpu.weights_gb, g.positive_number("weights_gb"));
      set_if(model.gpu.kv_cache_gb, g.positive_number("kv_cache_gb"));
    }
  }
  if (m.has("recovery")) {
    MapReader r = m.child("recovery", {"priority", "standby", "rto", "preferred_zones", "standby_zone",
                                             "replace_ejected"});
    if (r.is_map()) {
      if (auto text = r.string("priority")) {
        if (*text == "critical") model.recovery.priority = DrPriority::kCritical;
        else if (*text == "high") model.recovery.priority = DrPriority::kHigh;
        else if (*text == "normal") model.recovery.priority = DrPriority::kNormal;
        else reader.fail(r.location_of_child("priority"), r.key_of("priority"), expected_one_of(kPriorities, *text));
      }
      read_standby(r, model.recovery.standby);
      set_if(model.recovery.rto, r.duration("rto"));
      model.recovery.preferred_zones = read_string_list(reader, r, "preferred_zones");
      set_if(model.recovery.standby_zone, r.string("standby_zone"));
      set_if(model.recovery.replace_ejected, r.boolean("replace_ejected"));
    }
  }
  if (m.has("demand")) {
    MapReader d = m.child("demand", {"max_hot", "wake_queue_depth", "idle_sleep"});
    if (d.is_map()) {
      set_if(model.demand.max_hot, d.integer("max_hot", 1, kMaxInt));
      set_if(model.demand.wake_queue_depth, d.integer("wake_queue_depth", 1, kNoMax));
      set_if(model.demand.idle_sleep, d.duration("idle_sleep"));
    }
  }
  set_if(model.dedicated_to, m.string("dedicated_to"));
}

void read_gpu_quota(const MapReader& t, GpuQuota& out) {
  if (!t.has("gpu_quota")) return;
  MapReader q = t.child("gpu_quota", {"max_gpus", "max_memory_gb"});
  if (!q.is_map()) return;
  set_if(out.max_gpus, q.integer("max_gpus", 1, kMaxInt));
  set_if(out.max_memory_gb, q.positive_number("max_memory_gb"));
}

namespace {

/// Duplicate names among zones and among all nodes.
void check_inventory_names(Reader& reader, const FleetConfig& fleet) {
  std::map<std::string, std::string> zones, nodes;
  for (std::size_t z = 0; z < fleet.zones.size(); ++z) {
    const std::string zkey = fmt::format("fleet.zones[{}]", z);
    const auto& zone = fleet.zones[z];
    if (!zone.name.empty() && !zones.emplace(zone.name, zkey + ".name").second) {
      reader.fail(reader.where(zkey + ".name"), zkey + ".name",
                  fmt::format("duplicate zone {}; first defined at {}", quote(zone.name), reader.place(zones[zone.name])));
    }
    for (std::size_t n = 0; n < zone.nodes.size(); ++n) {
      const std::string nkey = fmt::format("{}.nodes[{}].name", zkey, n);
      const auto& name = zone.nodes[n].name;
      if (!name.empty() && !nodes.emplace(name, nkey).second) {
        reader.fail(reader.where(nkey), nkey,
                    fmt::format("duplicate node {}; first defined at {}", quote(name), reader.place(nodes[name])));
      }
    }
  }
}

std::vector<std::string_view> zone_names(const FleetConfig& fleet) {
  std::vector<std::string_view> out;
  for (const auto& z : fleet.zones) out.push_back(z.name);
  return out;
}

/// A model's zones exist, its instances fit some node, its demand maximum is
/// not below its minimum, and it is dedicated to a tenant that exists.
void check_model_fleet(Reader& reader, const Config& config, std::size_t i) {
  const Model& model = config.models[i];
  const std::string key = fmt::format("models[{}]", i);
  const FleetConfig& fleet = config.fleet;
  if (!fleet.zones.empty()) {
    const auto names = zone_names(fleet);
    for (std::size_t z = 0; z < model.recovery.preferred_zones.size(); ++z) {
      const std::string zkey = fmt::format("{}.recovery.preferred_zones[{}]", key, z);
      check_known(reader, zkey, "zone", model.recovery.preferred_zones[z], names);
    }
    check_known(reader, key + ".recovery.standby_zone", "zone", model.recovery.standby_zone, names);
    int most_gpus = 0;
    for (const auto& z : fleet.zones) for (const auto& n : z.nodes) most_gpus = std::max(most_gpus, n.gpus);
    if (model.gpu.count > most_gpus) {
      const std::string gkey = key + ".gpu.count";
      reader.fail(reader.where(gkey).line ? reader.where(gkey) : reader.where(key), gkey,
                  fmt::format("{} GPUs per instance, but the largest node has {} (an instance stays on one node)",
                              model.gpu.count, most_gpus));
    }
  } else if (!model.recovery.preferred_zones.empty() || !model.recovery.standby_zone.empty()) {
    const std::string zkey = key + ".recovery";
    reader.fail(reader.where(zkey), zkey, "names zones, but fleet.zones describes none");
  }
  if (model.demand.max_hot != 0 && model.source != ModelSource::kStatic &&
      model.demand.max_hot < model.serving_minimum()) {
    const std::string dkey = key + ".demand.max_hot";
    reader.fail(reader.where(dkey), dkey,
                fmt::format("must be at least {}.instances ({}), the serving minimum", to_string(model.source),
                            model.serving_minimum()));
  }
  std::vector<std::string_view> ids;
  for (const auto& t : config.tenants) ids.push_back(t.id);
  check_known(reader, key + ".dedicated_to", "tenant", model.dedicated_to, ids);
}

}  // namespace

void check_fleet(Reader& reader, const Config& config) {
  check_inventory_names(reader, config.fleet);
  for (std::size_t i = 0; i < config.models.size(); ++i) check_model_fleet(reader, config, i);
}

}  // namespace sluice::config
