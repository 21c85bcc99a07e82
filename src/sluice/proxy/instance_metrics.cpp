#include "sluice/proxy/instance_metrics.h"

#include <fmt/format.h>

#include <chrono>
#include <nlohmann/json.hpp>

#include "sluice/health/circuit_breaker.h"
#include "sluice/health/outlier_detector.h"
#include "sluice/obs/gateway_metrics.h"
#include "sluice/obs/histogram.h"

namespace sluice::proxy {

namespace {

bool ejected(const balance::Instance& i, std::int64_t now) {
  return now < i.ejected_until_ns.load(std::memory_order_relaxed);
}

std::string labels(const balance::ModelRoute& m, const balance::Instance& i) {
  return fmt::format("model=\"{}\",instance=\"{}\"", obs::escape_label(m.name), obs::escape_label(i.id.str()));
}

/// One gauge or counter line per instance.
template <typename Value>
void per_instance(const balance::RoutingTable& table, std::string& out, std::string_view name, std::string_view type,
                  std::string_view help, Value&& value) {
  obs::render_header(out, name, type, help);
  for (const auto& m : table.models)
    for (const auto& i : m.instances) out += fmt::format("{}{{{}}} {}\n", name, labels(m, *i), value(*i));
}

}  // namespace

void render_instance_metrics(const balance::RoutingTable& table, std::string& out) {
  const std::int64_t now = core::steady_now().time_since_epoch().count();
  per_instance(table, out, "sluice_instance_up", "gauge",
               "1 when the instance can take requests: in rotation, passing its active checks, not ejected.",
               [now](const balance::Instance& i) { return i.available.load() && i.usable(now) ? 1 : 0; });
  per_instance(table, out, "sluice_instance_healthy", "gauge", "1 when the instance passes its active health checks.",
               [](const balance::Instance& i) { return i.check_healthy.load() ? 1 : 0; });
  per_instance(table, out, "sluice_instance_ejected", "gauge", "1 while outlier detection has ejected the instance.",
               [now](const balance::Instance& i) { return ejected(i, now) ? 1 : 0; });
  per_instance(table, out, "sluice_instance_outstanding_requests", "gauge", "Requests in flight to the instance.",
               [](const balance::Instance& i) { return i.outstanding.load(); });
  per_instance(table, out, "sluice_instance_pending_requests", "gauge",
               "Tries waiting for a connection to the instance.",
               [](const balance::Instance& i) { return i.breaker ? i.breaker->pending() : 0; });

  obs::render_header(out, "sluice_instance_kv_cache_usage_ratio", "gauge",
                     "KV-cache use of the instance (0..1) from its engine's last scraped /metrics; absent while unknown.");
  for (const auto& m : table.models) {
    for (const auto& i : m.instances) {
      const double kv = i->kv_usage.load(std::memory_order_relaxed);
      if (kv >= 0) out += fmt::format("sluice_instance_kv_cache_usage_ratio{{{}}} {}\n", labels(m, *i), kv);
    }
  }

  per_instance(table, out, "sluice_instance_tries_total", "counter", "Tries (first tries and retries) sent to the instance.",
               [](const balance::Instance& i) { return i.counters.tries.load(); });
  obs::render_header(out, "sluice_instance_ejections_total", "counter", "Outlier ejections of the instance, by reason.");
  for (const auto& m : table.models)
    for (const auto& i : m.instances)
      for (std::size_t r = 0; r < health::kEjectReasonCount; ++r)
        out += fmt::format("sluice_instance_ejections_total{{{},reason=\"{}\"}} {}\n", labels(m, *i),
                           health::to_string(static_cast<health::EjectReason>(r)), i->counters.ejections[r].load());
  obs::render_header(out, "sluice_instance_breaker_overflows_total", "counter",
                     "Requests or connections the instance's circuit breaker refused, by limit.");
  for (const auto& m : table.models)
    for (const auto& i : m.instances)
      for (std::size_t l = 0; l < health::kBreakerLimitCount; ++l)
        out += fmt::format("sluice_instance_breaker_overflows_total{{{},limit=\"{}\"}} {}\n", labels(m, *i),
                           health::to_string(static_cast<health::BreakerLimit>(l)),
                           i->breaker ? i->breaker->overflowed(static_cast<health::BreakerLimit>(l)) : 0);
  obs::render_header(out, "sluice_instance_retries_total", "counter",
                     "Failed tries on the instance that were retried, by cause.");
  for (const auto& m : table.models)
    for (const auto& i : m.instances)
      for (std::size_t c = 0; c < kRetryCauses.size(); ++c)
        out += fmt::format("sluice_instance_retries_total{{{},reason=\"{}\"}} {}\n", labels(m, *i), kRetryCauses[c],
                           i->counters.retries[c].load());
}

std::string instances_json(const balance::RoutingTable& table) {
  const std::int64_t now = core::steady_now().time_since_epoch().count();
  nlohmann::json models = nlohmann::json::array();
  for (const auto& m : table.models) {
    nlohmann::json instances = nlohmann::json::array();
    for (const auto& i : m.instances) {
      instances.push_back({{"id", i->id.str()},
                           {"address", fmt::format("{}:{}", i->host, i->port)},
                           {"available", i->available.load()},
                           {"healthy", i->check_healthy.load()},
                           {"ejected", ejected(*i, now)},
                           {"backup", i->backup},
                           {"weight", i->weight},
                           {"outstanding", i->outstanding.load()}});
    }
    models.push_back({{"model", m.name}, {"upstream_model", m.upstream_model}, {"instances", std::move(instances)}});
  }
  return nlohmann::json{{"models", std::move(models)}}.dump();
}

}  // namespace sluice::proxy
