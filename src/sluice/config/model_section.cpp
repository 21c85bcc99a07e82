/// The `models` section: each model's name, where its instances come from
/// (`sim` or `static`), and how requests are sent upstream. Balancing and
/// health are read by balance_section.cpp and resilience_section.cpp.
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <limits>

#include "sluice/config/sections.h"
#include "sluice/config/tls_files.h"
#include "sluice/config/suggest.h"

namespace sluice::config {
namespace {

constexpr std::int64_t kMaxInt = std::numeric_limits<int>::max();
constexpr std::array<std::string_view, 3> kSources = {"sim", "static", "process"};
constexpr std::array<std::string_view, 5> kPlaceholders = {"port", "model", "instance", "gpus", "gpu_count"};

/// `process.command`: a string split on spaces, with known {placeholders}
/// and {port} somewhere.
void read_process(Reader& reader, const MapReader& m, ProcessSource& process) {
  MapReader p = m.child("process", {"command", "instances", "wake_timeout"});
  if (!p.is_map()) return;
  set_if(process.instances, p.integer("instances", 1, kMaxInt));
  set_if(process.wake_timeout, p.duration("wake_timeout"));
  if (!p.require("command")) return;
  const auto text = p.string("command");
  if (!text) return;
  const Location at = p.location_of_child("command");
  const std::string key = p.key_of("command");
  bool has_port = false;
  for (std::size_t start = 0; start < text->size();) {
    const std::size_t end = std::min(text->find(' ', start), text->size());
    if (end > start) process.command.push_back(text->substr(start, end - start));
    start = end + 1;
  }
  for (const std::string& arg : process.command) {
    for (std::size_t open = arg.find('{'); open != std::string::npos; open = arg.find('{', open + 1)) {
      const std::size_t close = arg.find('}', open);
      const std::string name = arg.substr(open + 1, close == std::string::npos ? std::string::npos : close - open - 1);
      if (close == std::string::npos ||
          std::find(kPlaceholders.begin(), kPlaceholders.end(), name) == kPlaceholders.end()) {
        reader.fail(at, key, fmt::format("unknown placeholder {{{}}}; {}", name, expected_one_of(kPlaceholders, name)));
        return;
      }
      has_port = has_port || name == "port";
    }
  }
  if (process.command.empty()) reader.fail(at, key, "expected a command");
  else if (!has_port) reader.fail(at, key, "must pass {port}: sluice picks the port each instance listens on");
}
constexpr std::int64_t kMaxEndpointWeight = 1000;

void read_sim(Reader& reader, const MapReader& m, SimSource& sim) {
  MapReader s = m.child("sim", {"instances", "profile", "speedup", "seed", "backup_instances"});
  if (!s.is_map()) return;
  const auto instances = s.integer("instances", 1, kMaxInt);
  set_if(sim.instances, instances);
  if (s.require("profile")) {
    if (auto profile = s.string("profile")) {
      const auto known = known_sim_profiles();
      if (std::find(known.begin(), known.end(), *profile) == known.end()) {
        reader.fail(s.location_of_child("profile"), s.key_of("profile"), expected_one_of(known, *profile));
      }
      sim.profile = std::move(*profile);
    }
  }
  set_if(sim.speedup, s.positive_number("speedup"));
  set_if(sim.seed, s.integer("seed", 0, kNoMax));
  if (auto backups = s.integer("backup_instances", 0, kMaxInt)) {
    // Checked only against an instance count that was read (or defaulted).
    if ((instances || !s.has("instances")) && *backups >= sim.instances) {
      reader.fail(s.location_of_child("backup_instances"), s.key_of("backup_instances"),
                  fmt::format("must be less than instances ({}): at least one instance must be a primary",
                              sim.instances));
    }
    sim.backup_instances = static_cast<int>(*backups);
  }
}

/// An endpoint URL; errors are reported at `at` under `key`.
std::optional<std::string> read_endpoint_url(Reader& reader, const YAML::Node& node, const std::string& key,
                                             Location at) {
  auto text = reader.string(node, key, at, /*allow_empty=*/false);
  if (!text) return std::nullopt;
  if (!parse_endpoint_url(*text)) {
    reader.fail(at, key,
                fmt::format("expected an http://host:port[/prefix] or https://host[:port][/prefix] URL, got {}",
                            quote(*text)));
    return std::nullopt;
  }
  while (text->ends_with('/')) text->pop_back();
  return text;
}

/// One entry of `endpoints`: a URL, or {url, weight, backup}. A failed entry
/// comes back with an empty URL.
StaticEndpoint read_endpoint(Reader& reader, const YAML::Node& node, const std::string& key, Location at) {
  StaticEndpoint endpoint;
  if (!node.IsMap()) {
    endpoint.url = read_endpoint_url(reader, node, key, at).value_or("");
    return endpoint;
  }
  MapReader e(reader, node, key, at, {"url", "weight", "backup"});
  if (e.require("url")) {
    endpoint.url = read_endpoint_url(reader, e.get("url"), e.key_of("url"), e.location_of_child("url")).value_or("");
  }
  set_if(endpoint.weight, e.integer("weight", 1, kMaxEndpointWeight));
  set_if(endpoint.backup, e.boolean("backup"));
  return endpoint;
}

/// `static.ca_file` (checked now, relative to the config's directory) and
/// `static.verify`: how https endpoints' certificates are checked.
void read_static_tls(Reader& reader, const MapReader& s, StaticSource& source) {
  set_if(source.verify, s.boolean("verify"));
  if (auto ca = s.string("ca_file")) {
    source.ca_file = resolve_config_path(reader.file(), *ca);
    if (auto problem = check_ca_file(source.ca_file)) reader.fail(s.location_of_child("ca_file"), s.key_of("ca_file"), *problem);
    if (!source.verify) {
      reader.fail(s.location_of_child("ca_file"), s.key_of("ca_file"),
                  "has no effect with verify: false (certificates are not checked at all)");
    }
  }
}

void read_static(Reader& reader, const MapReader& m, StaticSource& source) {
  MapReader s = m.child("static", {"endpoints", "ca_file", "verify"});
  if (!s.is_map()) return;
  read_static_tls(reader, s, source);
  if (!s.require("endpoints")) return;
  const YAML::Node list = s.get("endpoints");
  const std::string key = s.key_of("endpoints");
  if (!reader.expect_list(list, key, s.location_of_child("endpoints"))) return;
  if (list.size() == 0) {
    reader.fail(s.location_of_child("endpoints"), key, "expected at least one endpoint");
    return;
  }
  bool any_primary = false;
  for (std::size_t i = 0; i < list.size(); ++i) {
    const std::string item = fmt::format("{}[{}]", key, i);
    const Location at = reader.where(item);
    // An entry that fails keeps its slot (empty URL) so indices match the file.
    StaticEndpoint endpoint = read_endpoint(reader, list[i], item, at);
    any_primary = any_primary || !endpoint.backup;
    if (!endpoint.url.empty()) {
      for (std::size_t j = 0; j < source.endpoints.size(); ++j) {
        if (source.endpoints[j].url == endpoint.url) {
          reader.fail(at, item, fmt::format("duplicate endpoint {}; also at {}", quote(endpoint.url),
                                            reader.place(fmt::format("{}[{}]", key, j))));
        }
      }
    }
    source.endpoints.push_back(std::move(endpoint));
  }
  if (!any_primary) {
    reader.fail(s.location_of_child("endpoints"), key,
                "every endpoint is a backup; at least one must be a primary (backup: false)");
  }
}

constexpr std::array<std::string_view, 3> kPolicies = {"fcfs", "round_robin", "vtc"};

void read_scheduler(Reader& reader, const MapReader& m, SchedulerConfig& sched) {
  if (!m.has("scheduler")) return;
  MapReader s = m.child("scheduler", {"policy", "w_input", "w_output", "batch_promote_after",
                                      "max_in_flight_per_instance", "max_engine_waiting", "max_kv_usage",
                                      "engine_metrics_interval"});
  if (!s.is_map()) return;
  if (auto text = s.string("policy")) {
    if (*text == "fcfs") sched.policy = SchedPolicy::kFcfs;
    else if (*text == "round_robin") sched.policy = SchedPolicy::kRoundRobin;
    else if (*text == "vtc") sched.policy = SchedPolicy::kVtc;
    else reader.fail(s.location_of_child("policy"), s.key_of("policy"), expected_one_of(kPolicies, *text));
  }
  set_if(sched.w_input, s.positive_number("w_input"));
  set_if(sched.w_output, s.positive_number("w_output"));
  set_if(sched.batch_promote_after, s.duration("batch_promote_after"));
  set_if(sched.max_in_flight_per_instance, s.integer("max_in_flight_per_instance", 1, kNoMax));
  set_if(sched.max_engine_waiting, s.integer("max_engine_waiting", 0, kNoMax));
  if (auto usage = s.positive_number("max_kv_usage")) {
    if (*usage > 1.0) {
      reader.fail(s.location_of_child("max_kv_usage"), s.key_of("max_kv_usage"),
                  fmt::format("expected a fraction in (0, 1], got {}", *usage));
    }
    sched.max_kv_usage = *usage;
  }
  set_if(sched.engine_metrics_interval, s.duration("engine_metrics_interval"));
}

void read_source(Reader& reader, const MapReader& m, Model& model) {
  if (!m.require("source")) return;
  auto text = m.string("source");
  if (!text) return;
  if (*text == "sim") {
    model.source = ModelSource::kSim;
    m.forbid("static", "when source is sim");
    m.forbid("process", "when source is sim");
    if (m.require("sim", "source is sim")) read_sim(reader, m, model.sim);
  } else if (*text == "static") {
    model.source = ModelSource::kStatic;
    m.forbid("sim", "when source is static");
    m.forbid("process", "when source is static");
    if (m.require("static", "source is static")) read_static(reader, m, model.static_source);
  } else if (*text == "process") {
    model.source = ModelSource::kProcess;
    m.forbid("sim", "when source is process");
    m.forbid("static", "when source is process");
    if (m.require("process", "source is process")) read_process(reader, m, model.process);
  } else {
    reader.fail(m.location_of_child("source"), m.key_of("source"), expected_one_of(kSources, *text));
  }
}

Model read_model(Reader& reader, const YAML::Node& node, const std::string& key, Location at) {
  Model model;
  MapReader m(reader, node, key, at,
              {"name", "source", "sim", "static", "process", "upstream_model", "cache_salt", "default_max_tokens", "max_model_len", "scheduler",
               "balance", "health_check", "outlier_detection", "circuit_breaker", "gpu", "recovery", "demand",
               "dedicated_to", "pricing"});
  if (!m.is_map()) return model;
  if (m.require("name")) {
    if (auto name = m.string("name")) {
      if (*name == "*") {
        reader.fail(m.location_of_child("name"), m.key_of("name"),
                    "\"*\" is reserved (it means all models in a tenant's models list)");
      }
      model.name = std::move(*name);
    }
  }
  read_source(reader, m, model);
  model.upstream_model = m.string("upstream_model").value_or(model.name);
  set_if(model.cache_salt, m.boolean("cache_salt"));
  set_if(model.default_max_tokens, m.integer("default_max_tokens", 1, kNoMax));
  model.max_model_len = m.integer("max_model_len", 1, kNoMax);
  read_scheduler(reader, m, model.scheduler);
  read_balance(reader, m, model.balance);
  read_health_check(reader, m, model.health_check);
  read_outlier_detection(reader, m, model.outlier_detection);
  read_circuit_breaker(m, model.circuit_breaker);
  read_model_fleet(reader, m, model);
  read_pricing(reader, m, model);
  return model;
}

}  // namespace

void read_models(Reader& reader, const MapReader& root, std::vector<Model>& models) {
  if (!root.require("models")) return;
  const YAML::Node list = root.get("models");
  const Location at = root.location_of_child("models");
  if (!reader.expect_list(list, "models", at)) return;
  if (list.size() == 0) {
    reader.fail(at, "models", "expected at least one model");
    return;
  }
  for (std::size_t i = 0; i < list.size(); ++i) {
    const std::string key = fmt::format("models[{}]", i);
    models.push_back(read_model(reader, list[i], key, reader.where(key)));
  }
}

}  // namespace sluice::config
