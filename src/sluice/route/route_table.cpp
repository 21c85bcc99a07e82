#include "sluice/route/route_table.h"

#include <algorithm>
#include <cstdint>

namespace sluice::route {

namespace {
std::vector<std::uint32_t> split_weights(const config::Route& route) {
  std::vector<std::uint32_t> weights;
  weights.reserve(route.split.size());
  for (const auto& target : route.split) weights.push_back(target.weight);
  return weights;
}
}  // namespace

CompiledRoute::CompiledRoute(const config::Route& r, std::size_t i)
    : route(r), index(i), split(split_weights(r)) {
  header_conditions.reserve(r.match.headers.size());
  for (const auto& h : r.match.headers) header_conditions.emplace_back(h);
}

bool CompiledRoute::valid() const {
  return std::all_of(header_conditions.begin(), header_conditions.end(),
                     [](const HeaderCondition& c) { return c.valid(); });
}

bool CompiledRoute::matches(std::string_view model, HeaderLookup headers, std::string_view tenant_id) const {
  const auto& m = route.match;
  // Cheapest parts first; regexes last.
  if (m.model && *m.model != model) return false;
  if (!m.tenants.empty() && std::find(m.tenants.begin(), m.tenants.end(), tenant_id) == m.tenants.end()) {
    return false;
  }
  for (const auto& condition : header_conditions) {
    if (!condition.matches(headers(condition.name()))) return false;
  }
  return true;
}

RouteTable::RouteTable(std::span<const config::Route> routes) {
  routes_.reserve(routes.size());
  for (std::size_t i = 0; i < routes.size(); ++i) routes_.emplace_back(routes[i], i);
}

const CompiledRoute* RouteTable::match(std::string_view model, HeaderLookup headers,
                                       std::string_view tenant_id) const {
  for (const auto& r : routes_) {
    if (r.matches(model, headers, tenant_id)) return &r;
  }
  return nullptr;
}

bool RouteTable::names_model(std::string_view model) const {
  return std::any_of(routes_.begin(), routes_.end(),
                     [&](const CompiledRoute& r) { return r.route.match.model && *r.route.match.model == model; });
}

}  // namespace sluice::route
