#include "sluice/health/health_prober.h"

#include <spdlog/spdlog.h>

#include <unordered_set>

#include "sluice/health/engine_models.h"
#include "sluice/net/http_get.h"

namespace sluice::health {

using namespace sluice::net;

namespace {
/// How often the schedule is looked at; a check is sent at most this late.
constexpr auto kTick = std::chrono::milliseconds(50);

}  // namespace

HealthProber::HealthProber(asio::io_context& io, const core::Snapshot<balance::RoutingTable>& routes,
                           ConfigOf config_of, std::function<void()> on_change, std::uint64_t seed)
    : io_(io), routes_(routes), config_of_(std::move(config_of)), on_change_(std::move(on_change)), rng_(seed),
      timer_(io) {}

void HealthProber::start() { asio::co_spawn(io_, run(), asio::detached); }

void HealthProber::stop() {
  *stopped_ = true;
  timer_.cancel();
}

void HealthProber::schedule(const balance::RoutingTable& table, core::TimePoint now) {
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  std::unordered_set<std::uint64_t> present;
  bool changed = false;
  for (const auto& model : table.models) {
    const auto config = config_of_(model.index);
    if (!config) {
      // Checks are off (maybe since a config reload): they hold nobody out.
      for (const auto& instance : model.instances) {
        if (!instance->check_healthy.exchange(true, std::memory_order_relaxed)) changed = true;
      }
      continue;
    }
    for (const auto& instance : model.instances) {
      present.insert(instance->serial);
      auto [it, added] = entries_.try_emplace(instance->serial, Entry{ActiveCheckState(*config), instance});
      Entry& e = it->second;
      if (added) e.upstream_model = model.upstream_model;
      if (added) {
        e.next_at = e.state.first_check_at(now, uniform(rng_));
        // Serving already (checks were just turned on by a reload): it
        // counts as passed once, so failures take it out as usual.
        if (instance->check_healthy.load(std::memory_order_relaxed)) e.state.on_result(true, now);
      } else if (e.state.config() != *config) {
        e.state.set_config(*config);  // a reload changed them
        e.next_at = std::min(e.next_at, e.state.next_check_at(now, uniform(rng_)));
      }
      if (e.in_flight || now < e.next_at || !instance->available.load(std::memory_order_relaxed)) continue;
      e.in_flight = true;
      asio::co_spawn(io_, check(instance->serial, stopped_), asio::detached);
    }
  }
  std::erase_if(entries_, [&](const auto& kv) { return !kv.second.in_flight && !present.contains(kv.first); });
  if (changed && on_change_) on_change_();
}

asio::awaitable<void> HealthProber::check(std::uint64_t serial, std::shared_ptr<bool> stopped) {
  std::shared_ptr<balance::Instance> instance;
  ActiveCheckConfig config;
  {
    const Entry& e = entries_.at(serial);
    instance = e.instance;
    config = e.state.config();
  }
  const auto timeout = std::chrono::duration_cast<std::chrono::milliseconds>(config.timeout);
  auto answer = co_await http_get(instance->host, instance->port, instance->base_path + config.path, timeout,
                                  instance->tls.get());
  if (*stopped) co_return;
  auto it = entries_.find(serial);
  if (it == entries_.end()) co_return;
  Entry& e = it->second;
  e.in_flight = false;
  const core::TimePoint now = core::steady_now();
  const HealthTransition change = e.state.on_result(answer.has_value(), now);
  e.next_at = e.state.next_check_at(now, std::uniform_real_distribution<double>(0.0, 1.0)(rng_));
  if (answer && !e.asked_context) {
    e.asked_context = true;
    asio::co_spawn(io_, learn_context(instance, e.upstream_model, timeout), asio::detached);
  }
  if (change == HealthTransition::kNone) {
    // An instance that never passed stays out without a transition: say so
    // once it has failed as many checks as would take a healthy one out.
    if (!answer && !e.state.ever_passed() && e.state.consecutive_failures() == std::max<std::uint32_t>(config.unhealthy_threshold, 1)) {
      spdlog::warn("instance {} has not passed a health check yet ({} failed in a row: {}); it stays out of the "
                   "rotation",
                   instance->id.str(), e.state.consecutive_failures(), answer.error());
    }
    co_return;
  }
  const bool healthy = change == HealthTransition::kBecameHealthy;
  instance->check_healthy.store(healthy, std::memory_order_relaxed);
  if (healthy) {
    spdlog::info("instance {} passes its health checks; it joins the rotation", instance->id.str());
  } else {
    spdlog::warn("instance {} failed {} health checks in a row ({}); it leaves the rotation", instance->id.str(),
                 e.state.consecutive_failures(), answer.error());
  }
  if (on_change_) on_change_();
}

asio::awaitable<void> HealthProber::learn_context(std::shared_ptr<balance::Instance> instance,
                                                  std::string upstream_model, std::chrono::milliseconds timeout) {
  auto answer = co_await http_get(instance->host, instance->port, instance->base_path + "/v1/models", timeout,
                                  instance->tls.get());
  if (!answer) co_return;
  if (const auto len = parse_max_model_len(*answer, upstream_model)) {
    instance->max_model_len.store(*len, std::memory_order_relaxed);
  }
}

asio::awaitable<void> HealthProber::run() {
  const auto stopped = stopped_;
  while (!*stopped) {
    schedule(*routes_.load(), core::steady_now());
    timer_.expires_after(kTick);
    co_await timer_.async_wait(use_nothrow);
  }
}

}  // namespace sluice::health
