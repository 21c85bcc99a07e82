#pragma once
/// Active health checks of every instance in the routing table (I/O around
/// the pure ActiveCheckState): each instance gets `GET path` on its own
/// jittered schedule; the verdict is published on Instance::check_healthy,
/// where the room check reads it, and every change is logged and reported
/// through `on_change` (so queues can use an instance that came back).
/// Instances that leave the table are forgotten; new ones start unhealthy
/// and join at their first passing check — unless whoever built the table
/// marked them healthy because it has just checked them itself (the sim
/// fleet waits for every child's /health), which counts as that first pass.
/// After an instance's first passing check, its GET /v1/models tells its
/// context length (Instance::max_model_len), where the engine says one.
/// Thread-safety: runs on the io_context it is started on, which must be
/// run by one thread.
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <unordered_map>

#include "sluice/balance/routing_table.h"
#include "sluice/core/snapshot.h"
#include "sluice/health/active_check.h"
#include "sluice/net/asio.h"

namespace sluice::health {

class HealthProber {
 public:
  /// `config_of(model_index)`: the checks of a model, nullopt when off.
  using ConfigOf = std::function<std::optional<ActiveCheckConfig>(std::size_t model_index)>;
  HealthProber(net::asio::io_context& io, const core::Snapshot<balance::RoutingTable>& routes, ConfigOf config_of,
               std::function<void()> on_change, std::uint64_t seed);
  void start();
  void stop();

 private:
  struct Entry {
    ActiveCheckState state;
    std::shared_ptr<balance::Instance> instance;
    core::TimePoint next_at{};
    bool in_flight = false;
    std::string upstream_model;  // its name at the engine
    bool asked_context = false;  // GET /v1/models was sent once it answered
  };
  net::asio::awaitable<void> run();
  net::asio::awaitable<void> check(std::uint64_t serial, std::shared_ptr<bool> stopped);
  /// Learns the instance's context length from its GET /v1/models.
  net::asio::awaitable<void> learn_context(std::shared_ptr<balance::Instance> instance, std::string upstream_model,
                                           std::chrono::milliseconds timeout);
  void schedule(const balance::RoutingTable& table, core::TimePoint now);

  net::asio::io_context& io_;
  const core::Snapshot<balance::RoutingTable>& routes_;
  ConfigOf config_of_;
  std::function<void()> on_change_;
  std::mt19937_64 rng_;
  std::unordered_map<std::uint64_t, Entry> entries_;  // by instance serial
  std::shared_ptr<bool> stopped_ = std::make_shared<bool>(false);
  net::asio::steady_timer timer_;
};

}  // namespace sluice::health
