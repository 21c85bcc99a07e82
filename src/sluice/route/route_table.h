#pragma once
/// The `routes` of the config, compiled once per config load: for each
/// request, the first route whose match holds decides where it goes
/// (split target, upstream model name, mirror, faults, timeouts, retries);
/// a request no route matches goes to the model it names.
///
/// A route's match holds when every part it gives holds:
///   model    the client's "model" equals it exactly;
///   headers  every condition holds (header_match.h: exact, prefix, or a
///            whole-value RE2 regex; an absent header never matches);
///   tenants  the request's tenant id is in the list (empty list = any).
/// A match with no parts matches every request, so such a route shadows
/// every route after it.
///
/// A regex that fails to compile makes its route never match (the config
/// validation reports it; the constructor never throws on it).
///
/// Thread-safety: immutable after construction; share it (inside the config
/// snapshot) across threads. Pointers from match() stay valid while the
/// table lives.
#include <cstddef>
#include <span>
#include <string_view>
#include <vector>

#include "sluice/balance/weighted_split.h"
#include "sluice/config/config.h"
#include "sluice/route/header_lookup.h"
#include "sluice/route/header_match.h"

namespace sluice::route {

/// One route, ready to match and to pick a split target.
struct CompiledRoute {
  CompiledRoute(const config::Route& route, std::size_t index);

  /// Whether this route's match holds for the request.
  bool matches(std::string_view model, HeaderLookup headers, std::string_view tenant_id) const;
  /// False when a header regex failed to compile (the route never matches).
  bool valid() const;

  config::Route route;
  std::size_t index;                         // position in config `routes`
  balance::WeightedSplit split;              // over route.split weights, in order
  std::vector<HeaderCondition> header_conditions;  // route.match.headers, compiled
};

class RouteTable {
 public:
  RouteTable() = default;  // no routes: nothing matches
  explicit RouteTable(std::span<const config::Route> routes);

  /// The first route (in config order) whose match holds, or nullptr.
  /// `headers` is asked for lower-case header names.
  const CompiledRoute* match(std::string_view model, HeaderLookup headers, std::string_view tenant_id) const;

  /// Whether some route matches on exactly this model name (its
  /// `match.model`), so the name is accepted even if no model has it — a
  /// virtual model such as "chat-default" that routes split onto real ones.
  /// Routes without a model condition name no model.
  bool names_model(std::string_view model) const;

  std::span<const CompiledRoute> routes() const { return routes_; }
  std::size_t size() const { return routes_.size(); }
  bool empty() const { return routes_.empty(); }

 private:
  std::vector<CompiledRoute> routes_;
};

}  // namespace sluice::route
