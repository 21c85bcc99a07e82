/// The `models` section: each model's name, where its instances come from
/// (`sim` or `static`), and how requests are sent upstream.
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <limits>

#include "sluice/config/sections.h"
#include "sluice/config/suggest.h"

namespace sluice::config {
namespace {

constexpr std::array<std::string_view, 2> kSources = {"sim", "static"};
constexpr std::int64_t kMaxInt = std::numeric_limits<int>::max();

void read_sim(Reader& reader, const MapReader& m, SimSource& sim) {
  MapReader s(reader, m.get("sim"), m.key_of("sim"), m.location_of_child("sim"),
              {"instances", "profile", "gpus_per_instance", "speedup", "seed"});
  if (!s.is_map()) return;
  set_if(sim.instances, s.integer("instances", 1, kMaxInt));
  if (s.require("profile")) {
    if (auto profile = s.string("profile")) {
      const auto known = known_sim_profiles();
      if (std::find(known.begin(), known.end(), *profile) == known.end()) {
        reader.fail(s.location_of_child("profile"), s.key_of("profile"), expected_one_of(known, *profile));
      }
      sim.profile = std::move(*profile);
    }
  }
  set_if(sim.gpus_per_instance, s.integer("gpus_per_instance", 1, kMaxInt));
  set_if(sim.speedup, s.positive_number("speedup"));
  set_if(sim.seed, s.integer("seed", 0, kNoMax));
}

void read_static(Reader& reader, const MapReader& m, StaticSource& source) {
  MapReader s(reader, m.get("static"), m.key_of("static"), m.location_of_child("static"), {"endpoints"});
  if (!s.is_map() || !s.require("endpoints")) return;
  const YAML::Node list = s.get("endpoints");
  const std::string key = s.key_of("endpoints");
  if (!reader.expect_list(list, key, s.location_of_child("endpoints"))) return;
  if (list.size() == 0) {
    reader.fail(s.location_of_child("endpoints"), key, "expected at least one endpoint");
    return;
  }
  for (std::size_t i = 0; i < list.size(); ++i) {
    const std::string item = fmt::format("{}[{}]", key, i);
    const Location at = reader.where(item);
    // An entry that fails keeps its slot (empty) so indices match the file.
    auto text = reader.string(list[i], item, at, /*allow_empty=*/false);
    if (!text) {
      source.endpoints.emplace_back();
      continue;
    }
    if (!parse_http_url(*text)) {
      reader.fail(at, item,
                  text->starts_with("https://")
                      ? fmt::format("expected an http://host:port URL (https upstreams are not supported), got {}",
                                    quote(*text))
                      : fmt::format("expected an http://host:port[/prefix] URL, got {}", quote(*text)));
      source.endpoints.emplace_back();
      continue;
    }
    while (text->ends_with('/')) text->pop_back();
    for (std::size_t j = 0; j < source.endpoints.size(); ++j) {
      if (source.endpoints[j] == *text) {
        reader.fail(at, item, fmt::format("duplicate endpoint {}; also at {}", quote(*text),
                                          reader.place(fmt::format("{}[{}]", key, j))));
      }
    }
    source.endpoints.push_back(std::move(*text));
  }
}

void read_source(Reader& reader, const MapReader& m, Model& model) {
  if (!m.require("source")) return;
  auto text = m.string("source");
  if (!text) return;
  if (*text == "sim") {
    model.source = ModelSource::kSim;
    m.forbid("static", "when source is sim");
    if (m.require("sim", "source is sim")) read_sim(reader, m, model.sim);
  } else if (*text == "static") {
    model.source = ModelSource::kStatic;
    m.forbid("sim", "when source is static");
    if (m.require("static", "source is static")) read_static(reader, m, model.static_source);
  } else {
    reader.fail(m.location_of_child("source"), m.key_of("source"), expected_one_of(kSources, *text));
  }
}

Model read_model(Reader& reader, const YAML::Node& node, const std::string& key, Location at) {
  Model model;
  MapReader m(reader, node, key, at,
              {"name", "source", "sim", "static", "upstream_model", "cache_salt", "default_max_tokens"});
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
