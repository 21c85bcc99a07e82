/// A model's `health_check`, `outlier_detection` and `circuit_breaker`
/// mappings (the defaults are explained in health/active_check.h,
/// health/outlier_detector.h and health/circuit_breaker.h).
#include <fmt/format.h>

#include <limits>

#include "sluice/config/sections.h"
#include "sluice/core/duration_text.h"

namespace sluice::config {
namespace {

constexpr std::int64_t kMaxUint32 = std::numeric_limits<std::uint32_t>::max();

}  // namespace

void read_health_check(Reader& reader, const MapReader& parent, HealthCheckConfig& out) {
  if (!parent.has("health_check")) return;
  MapReader h = parent.child("health_check", {"enabled", "path", "interval", "timeout", "unhealthy_threshold",
                                              "healthy_threshold", "jitter_percent"});
  if (!h.is_map()) return;
  set_if(out.enabled, h.boolean("enabled"));
  if (auto path = h.string("path")) {
    if (!path->starts_with('/')) {
      reader.fail(h.location_of_child("path"), h.key_of("path"),
                  fmt::format("expected a path starting with \"/\", got {}", quote(*path)));
    }
    out.path = std::move(*path);
  }
  read_duration_pair(reader, h, "timeout", out.timeout, "interval", out.interval, DurationOrder::kShorter);
  set_if(out.unhealthy_threshold, h.integer("unhealthy_threshold", 1, kMaxUint32));
  set_if(out.healthy_threshold, h.integer("healthy_threshold", 1, kMaxUint32));
  set_if(out.jitter_percent, h.integer("jitter_percent", 0, 100));
}

void read_outlier_detection(Reader& reader, const MapReader& parent, OutlierDetectionConfig& out) {
  if (!parent.has("outlier_detection")) return;
  MapReader o = parent.child(
      "outlier_detection",
      {"enabled", "consecutive_5xx", "consecutive_gateway_failure", "interval", "base_ejection_time",
       "max_ejection_time", "max_ejection_percent", "enforce_failure_percentage", "failure_percentage_threshold",
       "failure_percentage_minimum_hosts", "failure_percentage_request_volume", "panic_threshold_percent", "stall"});
  if (!o.is_map()) return;
  set_if(out.enabled, o.boolean("enabled"));
  set_if(out.consecutive_5xx, o.integer("consecutive_5xx", 0, kMaxUint32));
  set_if(out.consecutive_gateway_failure, o.integer("consecutive_gateway_failure", 0, kMaxUint32));
  set_if(out.interval, o.duration("interval"));
  read_duration_pair(reader, o, "base_ejection_time", out.base_ejection_time, "max_ejection_time",
                     out.max_ejection_time, DurationOrder::kAtMost);
  set_if(out.max_ejection_percent, o.integer("max_ejection_percent", 0, 100));
  set_if(out.enforce_failure_percentage, o.boolean("enforce_failure_percentage"));
  set_if(out.failure_percentage_threshold, o.integer("failure_percentage_threshold", 0, 100));
  set_if(out.failure_percentage_minimum_hosts, o.integer("failure_percentage_minimum_hosts", 0, kMaxUint32));
  set_if(out.failure_percentage_request_volume, o.integer("failure_percentage_request_volume", 0, kMaxUint32));
  set_if(out.panic_threshold_percent, o.integer("panic_threshold_percent", 0, 100));
  set_if(out.stall, o.duration("stall"));
}

void read_circuit_breaker(const MapReader& parent, CircuitBreakerConfig& out) {
  if (!parent.has("circuit_breaker")) return;
  MapReader c = parent.child("circuit_breaker", {"max_connections", "max_in_flight", "max_pending"});
  if (!c.is_map()) return;
  set_if(out.max_connections, c.integer("max_connections", 1, kNoMax));
  set_if(out.max_in_flight, c.integer("max_in_flight", 1, kNoMax));
  set_if(out.max_pending, c.integer("max_pending", 1, kNoMax));
}

}  // namespace sluice::config
