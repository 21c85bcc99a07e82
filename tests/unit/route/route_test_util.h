#pragma once
// Helpers for the route tests: config routes built in a line, and a header
// lookup over a map.
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sluice/config/config.h"

namespace sluice::route::testing {

using Headers = std::map<std::string, std::string, std::less<>>;

/// A lookup over `h`, for HeaderLookup (which refers to it: pass it inline).
inline auto lookup(const Headers& h) {
  return [&h](std::string_view name) -> std::optional<std::string_view> {
    const auto it = h.find(name);
    if (it == h.end()) return std::nullopt;
    return std::string_view(it->second);
  };
}

inline config::Route make_route(std::string name, config::RouteMatch match,
                                std::vector<config::SplitTarget> split = {{"model-a", 1}}) {
  config::Route r;
  r.name = std::move(name);
  r.match = std::move(match);
  r.split = std::move(split);
  return r;
}

inline config::HeaderMatch header(std::string name, config::MatchKind kind, std::string value) {
  return {std::move(name), kind, std::move(value)};
}

}  // namespace sluice::route::testing
