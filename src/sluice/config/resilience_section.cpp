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

/// Where a pair check is reported: at `preferred` when the file gives it,
/// else at `other` (one of the two was given, or the check could not fail).
std::string_view given(const MapReader& m, std::string_view preferred, std::string_view other) {
  return m.has(preferred) ? preferred : other;
}

}  // namespace

void read_health_check(Reader& reader, const MapReader& parent, HealthCheckConfig& out) {
  if (!parent.has("health_check")) return;
  MapReader h(reader, parent.get("health_check"), parent.key_of("health_check"),
              parent.location_of_child("health_check"),
              {"enabled", "path", "interval", "timeout", "unhealthy_threshold", "healthy_threshold", "jitter_percent"});
  if (!h.is_map()) return;
  set_if(out.enabled, h.boolean("enabled"));
  if (auto path = h.string("path")) {
    if (!path->starts_with('/')) {
      reader.fail(h.location_of_child("path"), h.key_of("path"),
                  fmt::format("expected a path starting with \"/\", got {}", quote(*path)));
    }
    out.path = std::move(*path);
  }
  const auto interval = h.duration("interval");
  const auto timeout = h.duration("timeout");
  set_if(out.interval, interval);
  set_if(out.timeout, timeout);
  if ((interval || timeout) && out.timeout >= out.interval) {
    const std::string_view key = given(h, "timeout", "interval");
    reader.fail(h.location_of_child(key), h.key_of(key),
                fmt::format("timeout ({}) must be shorter than interval ({})", core::format_duration(out.timeout),
                            core::format_duration(out.interval)));
  }
  set_if(out.unhealthy_threshold, h.integer("unhealthy_threshold", 1, kMaxUint32));
  set_if(out.healthy_threshold, h.integer("healthy_threshold", 1, kMaxUint32));
  set_if(out.jitter_percent, h.integer("jitter_percent", 0, 100));
}

void read_outlier_detection(Reader& reader, const MapReader& parent, OutlierDetectionConfig& out) {
  if (!parent.has("outlier_detection")) return;
  MapReader o(reader, parent.get("outlier_detection"), parent.key_of("outlier_detection"),
              parent.location_of_child("outlier_detection"),
              {"enabled", "consecutive_5xx", "consecutive_gateway_failure", "interval", "base_ejection_time",
               "max_ejection_time", "max_ejection_percent", "enforce_failure_percentage",
               "failure_percentage_threshold", "failure_percentage_minimum_hosts",
               "failure_percentage_request_volume", "panic_threshold_percent"});
  if (!o.is_map()) return;
  set_if(out.enabled, o.boolean("enabled"));
  set_if(out.consecutive_5xx, o.integer("consecutive_5xx", 0, kMaxUint32));
  set_if(out.consecutive_gateway_failure, o.integer("consecutive_gateway_failure", 0, kMaxUint32));
  set_if(out.interval, o.duration("interval"));
  const auto base = o.duration("base_ejection_time");
  const auto max = o.duration("max_ejection_time");
  set_if(out.base_ejection_time, base);
  set_if(out.max_ejection_time, max);
  if ((base || max) && out.max_ejection_time < out.base_ejection_time) {
    const std::string_view key = given(o, "max_ejection_time", "base_ejection_time");
    reader.fail(o.location_of_child(key), o.key_of(key),
                fmt::format("max_ejection_time ({}) must be at least base_ejection_time ({})",
                            core::format_duration(out.max_ejection_time),
                            core::format_duration(out.base_ejection_time)));
  }
  set_if(out.max_ejection_percent, o.integer("max_ejection_percent", 0, 100));
  set_if(out.enforce_failure_percentage, o.boolean("enforce_failure_percentage"));
  set_if(out.failure_percentage_threshold, o.integer("failure_percentage_threshold", 0, 100));
  set_if(out.failure_percentage_minimum_hosts, o.integer("failure_percentage_minimum_hosts", 0, kMaxUint32));
  set_if(out.failure_percentage_request_volume, o.integer("failure_percentage_request_volume", 0, kMaxUint32));
  set_if(out.panic_threshold_percent, o.integer("panic_threshold_percent", 0, 100));
}

void read_circuit_breaker(Reader& reader, const MapReader& parent, CircuitBreakerConfig& out) {
  if (!parent.has("circuit_breaker")) return;
  MapReader c(reader, parent.get("circuit_breaker"), parent.key_of("circuit_breaker"),
              parent.location_of_child("circuit_breaker"), {"max_connections", "max_in_flight", "max_pending"});
  if (!c.is_map()) return;
  set_if(out.max_connections, c.integer("max_connections", 1, kNoMax));
  set_if(out.max_in_flight, c.integer("max_in_flight", 1, kNoMax));
  set_if(out.max_pending, c.integer("max_pending", 1, kNoMax));
}

}  // namespace sluice::config
