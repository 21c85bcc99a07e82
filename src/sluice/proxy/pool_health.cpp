#include "sluice/proxy/pool_health.h"

#include <algorithm>

#include "sluice/health/panic.h"

namespace sluice::proxy {

namespace {
std::int64_t to_ns(core::TimePoint t) { return t.time_since_epoch().count(); }

void count_ejection(balance::Instance& instance, health::EjectReason reason) {
  instance.counters.ejections[static_cast<std::size_t>(reason)].fetch_add(1, std::memory_order_relaxed);
}
}  // namespace

PoolHealth::PoolHealth(health::OutlierConfig config) : config_(config), detector_(config, 0) {}

void PoolHealth::sync(const balance::ModelRoute& route) {
  const auto& list = route.instances;
  if (balance::same_instances(list, serials_)) return;
  health::OutlierDetector next(config_, list.size());
  std::vector<std::uint64_t> serials;
  serials.reserve(list.size());
  for (std::size_t i = 0; i < list.size(); ++i) {
    serials.push_back(list[i]->serial);
    const auto old = std::find(serials_.begin(), serials_.end(), list[i]->serial);
    if (old != serials_.end()) next.adopt(i, detector_, static_cast<std::size_t>(old - serials_.begin()));
  }
  detector_ = std::move(next);
  serials_ = std::move(serials);
}

void PoolHealth::reconfigure(health::OutlierConfig config, const balance::ModelRoute* route) {
  config_ = config;
  health::OutlierDetector next(config_, serials_.size());
  for (std::size_t i = 0; i < serials_.size(); ++i) next.adopt(i, detector_, i);
  detector_ = std::move(next);
  if (!config_.enabled && route) {
    for (const auto& instance : route->instances) instance->ejected_until_ns.store(0, std::memory_order_relaxed);
  }
}

std::optional<std::size_t> PoolHealth::index_of(const balance::Instance& instance) const {
  const auto it = std::find(serials_.begin(), serials_.end(), instance.serial);
  if (it == serials_.end()) return std::nullopt;
  return static_cast<std::size_t>(it - serials_.begin());
}

std::optional<health::Ejection> PoolHealth::record(const balance::ModelRoute& route, balance::Instance& instance,
                                                   health::Outcome outcome, core::TimePoint now) {
  if (!config_.enabled || outcome == health::Outcome::kIgnored) return std::nullopt;
  sync(route);
  const auto index = index_of(instance);
  if (!index) return std::nullopt;
  auto ejection = detector_.record(*index, outcome, now);
  if (ejection) {
    instance.ejected_until_ns.store(to_ns(ejection->until), std::memory_order_relaxed);
    count_ejection(instance, ejection->reason);
  }
  return ejection;
}

std::vector<std::shared_ptr<balance::Instance>> PoolHealth::sweep(const balance::ModelRoute& route,
                                                                 core::TimePoint now) {
  std::vector<std::shared_ptr<balance::Instance>> ejected;
  if (!config_.enabled) return ejected;
  sync(route);
  const health::IntervalReport report = detector_.evaluate(now);
  for (const std::size_t i : report.ejected) {
    balance::Instance& instance = *route.instances[i];
    instance.ejected_until_ns.store(to_ns(detector_.ejected_until(i)), std::memory_order_relaxed);
    count_ejection(instance, health::EjectReason::kFailurePercentage);
    ejected.push_back(route.instances[i]);
  }
  return ejected;
}

bool PoolHealth::panic(const balance::ModelRoute& route, core::TimePoint now) const {
  const std::int64_t now_ns = to_ns(now);
  std::size_t usable = 0;
  for (const auto& i : route.instances) usable += i->usable(now_ns) ? 1 : 0;
  // With none usable there is no panic: the model has no instance to send
  // to, and says so at once (503) rather than after a connect timeout.
  return usable > 0 && health::in_panic(usable, route.instances.size(), config_.panic_threshold_percent);
}

}  // namespace sluice::proxy
