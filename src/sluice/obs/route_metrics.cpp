#include "sluice/obs/route_metrics.h"

#include <fmt/format.h>

#include "sluice/obs/gateway_metrics.h"
#include "sluice/obs/histogram.h"

namespace sluice::obs {

RouteCounters* RouteMetrics::route(const std::string& name) {
  std::lock_guard lock(mu_);
  auto& slot = routes_[name];
  if (!slot) slot = std::make_unique<RouteCounters>();
  return slot.get();
}

std::atomic<std::uint64_t>* RouteMetrics::split(const std::string& name, const std::string& target) {
  std::lock_guard lock(mu_);
  auto& slot = splits_[{name, target}];
  if (!slot) slot = std::make_unique<std::atomic<std::uint64_t>>(0);
  return slot.get();
}

void RouteMetrics::render(std::string& out) const {
  std::lock_guard lock(mu_);
  if (routes_.empty()) return;
  auto it = std::back_inserter(out);
  const auto each = [&](std::string_view name, std::string_view help, auto value) {
    render_header(out, name, "counter", help);
    for (const auto& [route, c] : routes_) {
      fmt::format_to(it, "{}{{route=\"{}\"}} {}\n", name, escape_label(route), value(*c).load(std::memory_order_relaxed));
    }
  };
  each("sluice_route_requests_total", "Requests the route matched.",
       [](const RouteCounters& c) -> const std::atomic<std::uint64_t>& { return c.matched; });
  each("sluice_route_mirrored_total", "Mirror copies the route sent.",
       [](const RouteCounters& c) -> const std::atomic<std::uint64_t>& { return c.mirrored; });
  each("sluice_route_mirror_dropped_total", "Mirror copies dropped (no room on the mirror model) or failed.",
       [](const RouteCounters& c) -> const std::atomic<std::uint64_t>& { return c.mirror_dropped; });
  render_header(out, "sluice_route_faults_total", "counter", "Requests the route's fault injection aborted or delayed.");
  for (const auto& [route, c] : routes_) {
    fmt::format_to(it, "sluice_route_faults_total{{route=\"{}\",fault=\"abort\"}} {}\n", escape_label(route), c->aborted.load());
    fmt::format_to(it, "sluice_route_faults_total{{route=\"{}\",fault=\"delay\"}} {}\n", escape_label(route), c->delayed.load());
  }
  render_header(out, "sluice_route_split_total", "counter", "Requests a route's split sent to each target model.");
  for (const auto& [key, n] : splits_) {
    fmt::format_to(it, "sluice_route_split_total{{route=\"{}\",target=\"{}\"}} {}\n", escape_label(key.first),
                   escape_label(key.second), n->load());
  }
}

}  // namespace sluice::obs
