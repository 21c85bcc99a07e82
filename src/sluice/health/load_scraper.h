#pragma once
/// Scrapes every instance's /metrics in the background and stores the
/// in-flight limit its load implies (balance::engine_limit, on
/// Instance::engine_limit) where the schedulers' room check reads it; then
/// calls `on_scraped` so queues can use room that appeared. An instance whose
/// scrape fails has no engine limit: it is then limited by
/// max_in_flight_per_instance alone.
/// Thread-safety: runs on the io_context it is started on.
#include <functional>
#include <memory>

#include "sluice/balance/routing_table.h"
#include "sluice/core/snapshot.h"
#include "sluice/net/asio.h"

namespace sluice::health {

class LoadScraper {
 public:
  LoadScraper(net::asio::io_context& io, const core::Snapshot<balance::RoutingTable>& routes,
              std::chrono::milliseconds interval, std::function<void()> on_scraped);
  void start();
  void stop();

 private:
  net::asio::awaitable<void> run();

  net::asio::io_context& io_;
  const core::Snapshot<balance::RoutingTable>& routes_;
  std::chrono::milliseconds interval_;
  std::function<void()> on_scraped_;
  std::shared_ptr<bool> stopped_ = std::make_shared<bool>(false);
  net::asio::steady_timer timer_;
};

}  // namespace sluice::health
