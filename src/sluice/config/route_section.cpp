/// The `routes` section: what each route matches (model name, headers,
/// tenants) and where matching requests go (one model or a weighted split),
/// with its mirror, fault injection, time limits and retry policy. Whether
/// the models and tenants it names exist is checked in validate.cpp.
#include <fmt/format.h>

#include <re2/re2.h>

#include <array>

#include "sluice/config/sections.h"

namespace sluice::config {
namespace {

constexpr std::int64_t kMaxSplitWeight = 10000;
constexpr std::array<std::string_view, 3> kMatchKinds = {"exact", "prefix", "regex"};
constexpr std::array<MatchKind, 3> kMatchKindValues = {MatchKind::kExact, MatchKind::kPrefix, MatchKind::kRegex};

/// A non-empty list of strings; failed entries keep their slot (empty).
void read_string_list(Reader& reader, const MapReader& m, std::string_view name, std::string_view what,
                      std::vector<std::string>& out) {
  const YAML::Node list = m.get(name);
  const std::string key = m.key_of(name);
  if (!reader.expect_list(list, key, m.location_of_child(name))) return;
  if (list.size() == 0) {
    reader.fail(m.location_of_child(name), key,
                fmt::format("expected at least one {}; leave out {} to match any", what, name));
    return;
  }
  for (std::size_t i = 0; i < list.size(); ++i) {
    const std::string item = fmt::format("{}[{}]", key, i);
    out.push_back(reader.string(list[i], item, reader.where(item), /*allow_empty=*/false).value_or(""));
  }
}

/// {name: X-Env, exact: prod} | {name, prefix} | {name, regex}
HeaderMatch read_header_match(Reader& reader, const YAML::Node& node, const std::string& key, Location at) {
  HeaderMatch match;
  MapReader h(reader, node, key, at, {"name", "exact", "prefix", "regex"});
  if (!h.is_map()) return match;
  if (h.require("name")) {
    if (auto name = h.string("name")) {
      if (!is_header_name(*name)) {
        reader.fail(h.location_of_child("name"), h.key_of("name"),
                    fmt::format("expected an HTTP header name, got {}", quote(*name)));
      }
      match.name = ascii_lower(*name);
    }
  }
  std::optional<std::string_view> kind;
  for (std::size_t i = 0; i < kMatchKinds.size(); ++i) {
    const std::string_view name = kMatchKinds[i];
    if (!h.has(name)) continue;
    if (kind) {
      h.forbid(name, fmt::format("together with {} (give one of exact, prefix or regex)", *kind));
      continue;
    }
    kind = name;
    match.kind = kMatchKindValues[i];
    match.value = h.string(name, /*allow_empty=*/true).value_or("");
  }
  if (!kind) {
    reader.fail(at, key, "expected one of exact, prefix or regex");
    return match;
  }
  if (match.kind == MatchKind::kRegex) {
    // RE2, as route/header_match.cpp matches with it.
    RE2::Options options;
    options.set_log_errors(false);
    const RE2 compiled(match.value, options);
    if (!compiled.ok()) {
      reader.fail(h.location_of_child("regex"), h.key_of("regex"),
                  fmt::format("invalid regular expression {}: {}", quote(match.value), compiled.error()));
    }
  }
  return match;
}

/// `match`; true when it matches every request (absent, or nothing in it).
bool read_match(Reader& reader, const MapReader& r, RouteMatch& out) {
  if (!r.has("match")) return true;
  MapReader m = r.child("match", {"model", "headers", "tenants"});
  if (!m.is_map()) return false;
  if (m.has("model")) out.model = m.string("model").value_or("");
  if (m.has("headers")) {
    const YAML::Node list = m.get("headers");
    const std::string key = m.key_of("headers");
    if (reader.expect_list(list, key, m.location_of_child("headers"))) {
      if (list.size() == 0) {
        reader.fail(m.location_of_child("headers"), key,
                    "expected at least one header match; leave out headers to match any");
      }
      for (std::size_t i = 0; i < list.size(); ++i) {
        const std::string item = fmt::format("{}[{}]", key, i);
        out.headers.push_back(read_header_match(reader, list[i], item, reader.where(item)));
      }
    }
  }
  if (m.has("tenants")) read_string_list(reader, m, "tenants", "tenant id", out.tenants);
  return !m.has("model") && !m.has("headers") && !m.has("tenants");
}

/// split: [{model, weight}, …]
void read_split(Reader& reader, const MapReader& r, std::vector<SplitTarget>& out) {
  const YAML::Node list = r.get("split");
  const std::string key = r.key_of("split");
  const Location at = r.location_of_child("split");
  if (!reader.expect_list(list, key, at)) return;
  if (list.size() == 0) {
    reader.fail(at, key, "expected at least one target");
    return;
  }
  // A weight that fails to read counts as the default 1 here; its own error is enough.
  std::uint64_t total = 0;
  for (std::size_t i = 0; i < list.size(); ++i) {
    const std::string item = fmt::format("{}[{}]", key, i);
    SplitTarget target;
    MapReader t(reader, list[i], item, reader.where(item), {"model", "weight"});
    if (t.is_map() && t.require("model")) target.model = t.string("model").value_or("");
    set_if(target.weight, t.integer("weight", 0, kMaxSplitWeight));
    total += target.weight;
    for (std::size_t j = 0; j < out.size() && !target.model.empty(); ++j) {
      if (out[j].model != target.model) continue;
      reader.fail(t.location_of_child("model"), t.key_of("model"),
                  fmt::format("duplicate split target {}; also at {}", quote(target.model),
                              reader.place(fmt::format("{}[{}].model", key, j))));
    }
    out.push_back(std::move(target));
  }
  if (total == 0) reader.fail(at, key, "the weights add up to 0; at least one must be positive");
}

/// Exactly one of `model` (a plain forward) or `split`.
void read_targets(Reader& reader, const MapReader& r, std::vector<SplitTarget>& out) {
  if (r.has("model") && r.has("split")) {
    r.forbid("split", "together with model (give one)");
  } else if (r.has("split")) {
    read_split(reader, r, out);
    return;
  }
  if (!r.has("model")) {
    if (r.is_map()) reader.fail(r.location(), r.key_of("model"), "missing required key (give model or split)");
    return;
  }
  if (auto model = r.string("model")) out.push_back(SplitTarget{std::move(*model), 1});
}

void read_mirror(Reader& reader, const MapReader& r, Route& route) {
  if (!r.has("mirror")) return;
  MapReader m = r.child("mirror", {"model", "percent"});
  if (!m.is_map()) return;
  MirrorConfig mirror;
  if (m.require("model")) mirror.model = m.string("model").value_or("");
  set_if(mirror.percent, m.percent("percent", /*allow_zero=*/false));
  for (const auto& target : route.split) {
    if (mirror.model.empty() || target.model != mirror.model) continue;
    reader.fail(m.location_of_child("model"), m.key_of("model"),
                fmt::format("must not be one of the split targets ({} already gets these requests)",
                            quote(mirror.model)));
    break;
  }
  route.mirror = std::move(mirror);
}

/// fault: {abort: {percent, status}, delay: {percent, duration}}
void read_fault(const MapReader& r, FaultConfig& fault) {
  if (!r.has("fault")) return;
  MapReader f = r.child("fault", {"abort", "delay"});
  if (!f.is_map()) return;
  if (f.has("abort")) {
    MapReader a = f.child("abort", {"percent", "status"});
    if (a.is_map() && a.require("percent")) set_if(fault.abort_percent, a.percent("percent", /*allow_zero=*/true));
    set_if(fault.abort_status, a.integer("status", 400, 599));
  }
  if (f.has("delay")) {
    MapReader d = f.child("delay", {"percent", "duration"});
    if (d.is_map() && d.require("percent")) set_if(fault.delay_percent, d.percent("percent", /*allow_zero=*/true));
    if (d.is_map() && d.require("duration")) set_if(fault.delay, d.duration("duration"));
  }
}

Route read_route(Reader& reader, const YAML::Node& node, const std::string& key, Location at,
                 const ServerConfig& server, bool& matches_all) {
  Route route;
  route.name = key;
  matches_all = false;
  MapReader r(reader, node, key, at,
              {"name", "match", "model", "split", "sticky", "upstream_model", "mirror", "fault", "timeouts", "retry"});
  if (!r.is_map()) return route;
  set_if(route.name, r.string("name"));
  matches_all = read_match(reader, r, route.match);
  read_targets(reader, r, route.split);
  if (auto sticky = read_hash_key(reader, r, "sticky")) route.sticky = std::move(*sticky);
  if (auto upstream = r.string("upstream_model")) route.upstream_model = std::move(*upstream);
  read_mirror(reader, r, route);
  read_fault(r, route.fault);
  if (r.has("timeouts")) {
    TimeoutConfig timeouts = server.timeouts;
    read_timeouts(r, timeouts);
    route.timeouts = timeouts;
  }
  if (r.has("retry")) {
    RetryPolicy retry = server.retry;
    read_retry(reader, r, retry);
    route.retry = std::move(retry);
  }
  return route;
}

}  // namespace

void read_routes(Reader& reader, const MapReader& root, const ServerConfig& server, std::vector<Route>& routes) {
  if (!root.has("routes")) return;
  const YAML::Node list = root.get("routes");
  if (!reader.expect_list(list, "routes", root.location_of_child("routes"))) return;
  std::optional<std::size_t> catch_all;
  for (std::size_t i = 0; i < list.size(); ++i) {
    const std::string key = fmt::format("routes[{}]", i);
    bool matches_all = false;
    routes.push_back(read_route(reader, list[i], key, reader.where(key), server, matches_all));
    if (catch_all) {
      reader.fail(reader.where(key), key, fmt::format("unreachable: routes[{}] matches every request", *catch_all));
    } else if (matches_all) {
      catch_all = i;
    }
  }
}

}  // namespace sluice::config
