#include "sluice/health/load_scraper.h"

#include "sluice/balance/room.h"
#include "sluice/health/engine_load.h"
#include "sluice/net/http_get.h"

namespace sluice::health {

using namespace sluice::net;

LoadScraper::LoadScraper(asio::io_context& io, const core::Snapshot<balance::RoutingTable>& routes,
                         std::chrono::milliseconds interval, std::function<void()> on_scraped)
    : io_(io), routes_(routes), interval_(interval), on_scraped_(std::move(on_scraped)), timer_(io) {}

void LoadScraper::start() { asio::co_spawn(io_, run(), asio::detached); }

void LoadScraper::stop() {
  *stopped_ = true;
  timer_.cancel();
}

namespace {

asio::awaitable<void> scrape_one(std::shared_ptr<balance::Instance> instance, balance::RoomLimits room,
                                 std::chrono::milliseconds timeout) {
  auto body = co_await http_get(instance->host, instance->port, instance->base_path + "/metrics", timeout,
                                instance->tls.get());
  EngineLoad load;
  if (body) load = parse_engine_load(*body);
  const std::int64_t outstanding = instance->outstanding.load(std::memory_order_relaxed);
  instance->engine_limit.store(balance::engine_limit(outstanding, load.waiting, load.kv_usage, room),
                               std::memory_order_relaxed);
  instance->kv_usage.store(load.kv_usage.value_or(-1.0), std::memory_order_relaxed);
}

}  // namespace

asio::awaitable<void> LoadScraper::run() {
  const auto stopped = stopped_;
  while (!*stopped) {
    const auto table = routes_.load();
    for (const auto& model : table->models) {
      for (const auto& instance : model.instances) {
        if (!instance->available.load(std::memory_order_relaxed)) continue;
        asio::co_spawn(io_, scrape_one(instance, model.room, interval_), asio::detached);
      }
    }
    timer_.expires_after(interval_);
    co_await timer_.async_wait(use_nothrow);
    if (*stopped) break;
    if (on_scraped_) on_scraped_();
  }
}

}  // namespace sluice::health
