/// Workload YAML → Workload, every error collected as
/// `file:line:col: key: message`. Built on config/'s Reader and MapReader so
/// that workload files and gateway configs report errors the same way
/// (unknown keys with "did you mean", durations such as "10s").
#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <fstream>
#include <sstream>
#include <tuple>

#include "sluice/config/suggest.h"
#include "sluice/config/yaml_reader.h"
#include "sluice/core/duration_text.h"
#include "sluice/workload/workload.h"

namespace sluice::workload {
namespace {

using config::Location;
using config::MapReader;
using config::Reader;

constexpr std::array<std::string_view, 4> kProcesses = {"constant", "poisson", "on_off", "ramp"};
constexpr std::array<std::string_view, 3> kDistributions = {"fixed", "uniform", "exponential"};
constexpr std::array<std::string_view, 3> kPriorities = {"critical", "standard", "batch"};
constexpr std::int64_t kDefaultMaxLength = 4096;
/// stop_s while reading: absent (→ the duration) or invalid (error recorded).
constexpr double kNoStop = -1;

/// A number ≥ 0 (rates; 0 turns a tenant off).
std::optional<double> non_negative_number(Reader& reader, const MapReader& m, std::string_view name) {
  if (!m.has(name)) return std::nullopt;
  const YAML::Node node = m.get(name);
  double value = -1;
  bool parsed = false;
  if (node.IsScalar()) {
    std::string_view text = node.Scalar();
    if (text.starts_with('+')) text.remove_prefix(1);
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    parsed = !text.empty() && ec == std::errc{} && end == text.data() + text.size() && std::isfinite(value);
  }
  if (!parsed || value < 0) {
    reader.fail(m.location_of_child(name), m.key_of(name),
                fmt::format("expected a non-negative number, got {}", config::describe(node)));
    return std::nullopt;
  }
  return value;
}

/// A duration in seconds; `allow_zero` for offsets such as `start: 0s`.
std::optional<double> seconds(Reader& reader, const MapReader& m, std::string_view name, bool allow_zero) {
  if (!m.has(name)) return std::nullopt;
  if (!allow_zero) {
    auto d = m.duration(name);
    return d ? std::optional<double>(core::to_seconds(*d)) : std::nullopt;
  }
  const YAML::Node node = m.get(name);
  std::optional<core::Duration> d;
  if (node.IsScalar()) d = core::parse_duration(node.Scalar());
  if (!d || *d < core::Duration::zero()) {
    reader.fail(m.location_of_child(name), m.key_of(name),
                fmt::format("expected a duration such as \"0s\", \"30s\" or \"5m\", got {}", config::describe(node)));
    return std::nullopt;
  }
  return core::to_seconds(*d);
}

/// One of `choices`, or an error with a "did you mean".
template <std::size_t N>
std::optional<std::size_t> choice(Reader& reader, const MapReader& m, std::string_view name,
                                  const std::array<std::string_view, N>& choices) {
  auto text = m.string(name);
  if (!text) return std::nullopt;
  for (std::size_t i = 0; i < N; ++i) {
    if (choices[i] == *text) return i;
  }
  reader.fail(m.location_of_child(name), m.key_of(name), config::expected_one_of(choices, *text));
  return std::nullopt;
}

void read_arrival(Reader& reader, const MapReader& parent, ArrivalProcess& out) {
  if (!parent.require("arrival")) return;
  const MapReader m(reader, parent.get("arrival"), parent.key_of("arrival"), parent.location_of_child("arrival"),
                    {"process", "rate", "on", "off", "from", "to"});
  if (!m.is_map() || !m.require("process")) return;
  const auto kind = choice(reader, m, "process", kProcesses);
  if (!kind) return;
  out.kind = static_cast<ArrivalKind>(*kind);
  const std::string why = fmt::format("for process {}", kProcesses[*kind]);
  switch (out.kind) {
    case ArrivalKind::kConstant:
    case ArrivalKind::kPoisson:
      for (auto name : {"on", "off", "from", "to"}) m.forbid(name, why);
      if (m.require("rate")) config::set_if(out.rate, non_negative_number(reader, m, "rate"));
      break;
    case ArrivalKind::kOnOff:
      for (auto name : {"from", "to"}) m.forbid(name, why);
      if (m.require("rate")) config::set_if(out.rate, non_negative_number(reader, m, "rate"));
      if (m.require("on")) config::set_if(out.on_s, seconds(reader, m, "on", false));
      if (m.require("off")) config::set_if(out.off_s, seconds(reader, m, "off", false));
      break;
    case ArrivalKind::kRamp:
      m.forbid("rate", "for process ramp (the rate goes from `from` to `to`)");
      for (auto name : {"on", "off"}) m.forbid(name, why);
      if (m.require("from")) config::set_if(out.from_rate, non_negative_number(reader, m, "from"));
      if (m.require("to")) config::set_if(out.to_rate, non_negative_number(reader, m, "to"));
      break;
  }
}

void read_length(Reader& reader, const MapReader& parent, std::string_view name, LengthDist& out) {
  if (!parent.has(name)) return;  // the default: fixed 100
  const YAML::Node node = parent.get(name);
  const std::string key = parent.key_of(name);
  const Location at = parent.location_of_child(name);
  if (node.IsScalar()) {  // `output_tokens: 200` is a fixed length
    if (auto n = reader.integer(node, key, at, 1, config::kNoMax)) {
      out = LengthDist{.kind = LengthKind::kFixed, .mean = static_cast<double>(*n), .min = 1,
                       .max = std::max(*n, kDefaultMaxLength)};
    }
    return;
  }
  const MapReader m(reader, node, key, at, {"dist", "mean", "min", "max"});
  if (!m.is_map() || !m.require("dist")) return;
  const auto kind = choice(reader, m, "dist", kDistributions);
  if (!kind) return;
  out.kind = static_cast<LengthKind>(*kind);
  if (out.kind == LengthKind::kUniform) {
    m.forbid("mean", "for dist uniform (it is set by min and max)");
    const bool has_min = m.require("min");
    const bool has_max = m.require("max");
    if (!has_min || !has_max) return;
  } else {
    if (!m.require("mean")) return;
    config::set_if(out.mean, m.positive_number("mean"));
  }
  auto min = m.integer("min", 1, config::kNoMax);
  auto max = m.integer("max", 1, config::kNoMax);
  out.min = min.value_or(1);
  const double default_max = std::max(static_cast<double>(kDefaultMaxLength), std::ceil(10 * out.mean));
  out.max = max ? *max : default_max >= 9.0e18 ? config::kNoMax : static_cast<std::int64_t>(default_max);
  if (min && max && *min > *max) {
    reader.fail(m.location_of_child("max"), m.key_of("max"),
                fmt::format("must be at least min ({}), got {}", *min, *max));
  } else if (min && !max && out.min > out.max) {
    reader.fail(m.location_of_child("min"), m.key_of("min"),
                fmt::format("must be at most the default max ({}), got {}", out.max, *min));
  }
}

/// `api_key: sk-…` or `api_key: {env: NAME}`.
void read_api_key(Reader& reader, const MapReader& m, std::string& out) {
  if (!m.has("api_key")) return;
  const YAML::Node node = m.get("api_key");
  if (node.IsMap()) {
    if (auto env = reader.env(node, m.key_of("api_key"), m.location_of_child("api_key"))) out = env->value;
    return;
  }
  if (auto key = m.string("api_key")) out = *key;
}

struct Defaults {
  std::optional<std::string> model;
  bool stream = true;
};

void read_tenant(Reader& reader, const YAML::Node& node, const std::string& key, const Defaults& defaults,
                 TenantLoad& out) {
  const MapReader m(reader, node, key, reader.where(key),
                    {"tenant", "api_key", "arrival", "start", "stop", "input_tokens", "output_tokens", "stream",
                     "model", "priority", "replicas"});
  if (!m.is_map()) return;
  if (m.require("tenant")) config::set_if(out.tenant, m.string("tenant"));
  read_api_key(reader, m, out.api_key);
  if (m.has("model")) {
    config::set_if(out.model, m.string("model"));
  } else if (defaults.model) {
    out.model = *defaults.model;
  } else {
    m.require("model", "no top-level model either");
  }
  out.stream = m.boolean("stream").value_or(defaults.stream);
  if (auto p = choice(reader, m, "priority", kPriorities)) out.priority = std::string(kPriorities[*p]);
  read_arrival(reader, m, out.arrival);
  config::set_if(out.start_s, seconds(reader, m, "start", true));
  out.stop_s = seconds(reader, m, "stop", false).value_or(kNoStop);
  read_length(reader, m, "input_tokens", out.input_tokens);
  read_length(reader, m, "output_tokens", out.output_tokens);
  if (m.has("replicas")) {
    const YAML::Node list = m.get("replicas");
    if (reader.expect_list(list, m.key_of("replicas"), m.location_of_child("replicas"))) {
      double sum = 0;
      for (const auto& item : list) {
        double w = -1;
        if (item.IsScalar()) {
          try {
            w = item.as<double>();
          } catch (const YAML::Exception&) {
            w = -1;
          }
        }
        if (w < 0) {
          reader.fail(m.location_of_child("replicas"), m.key_of("replicas"),
                      fmt::format("expected a list of shares (numbers >= 0), got {}", config::describe(item)));
          return;
        }
        sum += w;
        out.replica_split.push_back(w);
      }
      if (sum <= 0) {
        reader.fail(m.location_of_child("replicas"), m.key_of("replicas"), "expected at least one share above 0");
      }
    }
  }
}

/// Checks between fields: the windows against the run. `duration_ok`:
/// the duration was valid or absent (else the checks would mislead).
void validate(Reader& reader, Workload& workload, bool duration_ok) {
  if (duration_ok && workload.warmup_s >= workload.duration_s && reader.where("warmup").line != 0) {
    reader.fail(reader.where("warmup"), "warmup",
                fmt::format("must be shorter than duration ({}s), got {}s", workload.duration_s, workload.warmup_s));
  }
  for (std::size_t i = 0; i < workload.tenants.size(); ++i) {
    TenantLoad& t = workload.tenants[i];
    const std::string prefix = fmt::format("tenants[{}]", i);
    const Location stop_at = reader.where(prefix + ".stop");
    if (t.stop_s == kNoStop) {
      if (stop_at.line != 0) continue;  // invalid: already reported
      t.stop_s = workload.duration_s;
    }
    if (!duration_ok) continue;
    if (t.stop_s > workload.duration_s) {
      reader.fail(stop_at, prefix + ".stop",
                  fmt::format("must not be after the end of the run (duration {}s), got {}s", workload.duration_s,
                              t.stop_s));
    } else if (t.start_s >= t.stop_s) {
      const Location start_at = reader.where(prefix + ".start");
      reader.fail(start_at.line != 0 ? start_at : stop_at, prefix + ".start",
                  fmt::format("must be before stop ({}s), got {}s", t.stop_s, t.start_s));
    }
  }
}

std::vector<std::string> render(config::ConfigErrors errors) {
  std::stable_sort(errors.begin(), errors.end(), [](const config::ConfigError& a, const config::ConfigError& b) {
    return std::tie(a.line, a.column) < std::tie(b.line, b.column);
  });
  std::vector<std::string> out;
  out.reserve(errors.size());
  for (const auto& e : errors) out.push_back(e.to_string());
  return out;
}

Location location_of_mark(const YAML::Mark& mark) {
  if (mark.is_null() || mark.line < 0) return {};
  return {mark.line + 1, mark.column + 1};
}

}  // namespace

std::expected<Workload, std::vector<std::string>> load_workload_text(std::string_view yaml, std::string_view name) {
  Reader reader{std::string(name)};
  Workload workload;
  workload.source_path = std::string(name);
  // yaml-cpp throws on syntax errors; those end the load here.
  try {
    const YAML::Node root = YAML::Load(std::string(yaml));
    const Location at = config::location_of(root).line != 0 ? config::location_of(root) : Location{1, 1};
    const MapReader top(reader, root, "", at, {"duration", "warmup", "seed", "model", "stream", "tenants", "replicas",
                                                   "replica_sync"});
    if (top.is_map()) {
      const auto duration = seconds(reader, top, "duration", false);
      config::set_if(workload.duration_s, duration);
      config::set_if(workload.warmup_s, seconds(reader, top, "warmup", true));
      config::set_if(workload.seed, top.integer("seed", 0, config::kNoMax));
      if (auto n = top.integer("replicas", 1, 64)) workload.replicas = static_cast<int>(*n);
      config::set_if(workload.replica_sync_s, seconds(reader, top, "replica_sync", true));
      Defaults defaults;
      defaults.model = top.string("model");
      defaults.stream = top.boolean("stream").value_or(true);
      if (top.require("tenants")) {
        const YAML::Node list = top.get("tenants");
        if (reader.expect_list(list, "tenants", top.location_of_child("tenants"))) {
          if (list.size() == 0) reader.fail(top.location_of_child("tenants"), "tenants", "expected at least one tenant");
          workload.tenants.resize(list.size());
          for (std::size_t i = 0; i < list.size(); ++i) {
            read_tenant(reader, list[i], fmt::format("tenants[{}]", i), defaults, workload.tenants[i]);
          }
        }
      }
      validate(reader, workload, duration.has_value() || !top.has("duration"));
      for (std::size_t i = 0; i < workload.tenants.size(); ++i) {
        const auto& split = workload.tenants[i].replica_split;
        if (!split.empty() && split.size() != static_cast<std::size_t>(workload.replicas)) {
          const std::string key = fmt::format("tenants[{}].replicas", i);
          reader.fail(reader.where(key), key,
                      fmt::format("expected one share per replica ({}), got {}", workload.replicas, split.size()));
        }
      }
    }
  } catch (const YAML::ParserException& e) {
    reader.fail(location_of_mark(e.mark), "", "invalid YAML: " + e.msg);
  } catch (const YAML::Exception& e) {
    reader.fail(location_of_mark(e.mark), "", e.msg);
  }
  if (reader.has_errors()) return std::unexpected(render(reader.take_errors()));
  return workload;
}

std::expected<Workload, std::vector<std::string>> load_workload_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::unexpected(std::vector<std::string>{fmt::format("{}: cannot read the file: {}", path, std::strerror(errno))});
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return std::unexpected(std::vector<std::string>{path + ": cannot read the file: read error"});
  return load_workload_text(text.str(), path);
}

}  // namespace sluice::workload
