#include "sluice/proxy/gateway_server.h"

#include <spdlog/spdlog.h>

#include "sluice/net/listener.h"
#include "sluice/proxy/http_session.h"
#include "sluice/proxy/model_pool.h"

namespace sluice::proxy {

using namespace sluice::net;

namespace {

/// How long cancelled requests have to answer their clients once the grace
/// period is over (a write to a slow client is all that is left to do).
constexpr auto kCancelWindow = std::chrono::seconds(1);

asio::awaitable<void> accept_loop(Worker& worker, tcp::acceptor& acceptor, const ServerTls* tls) {
  for (;;) {
    auto [ec, socket] = co_await acceptor.async_accept(use_nothrow);
    if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
    if (ec) {
      // EMFILE and friends: back off briefly instead of spinning.
      spdlog::warn("accept failed: {}", ec.message());
      asio::steady_timer pause(acceptor.get_executor(), std::chrono::milliseconds(50));
      co_await pause.async_wait(use_nothrow);
      continue;
    }
    asio::co_spawn(acceptor.get_executor(), serve_client(worker, std::move(socket), tls ? tls->current() : nullptr),
                   asio::detached);
  }
}

}  // namespace

GatewayServer::GatewayServer(GatewayContext& ctx, int threads) : ctx_(ctx) {
  if (threads <= 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  std::random_device seed;
  for (int i = 0; i < threads; ++i) {
    ios_.push_back(std::make_unique<asio::io_context>(1));
    workers_.push_back(std::make_unique<Worker>(ctx_, (static_cast<std::uint64_t>(seed()) << 32) ^ seed()));
  }
}

GatewayServer::~GatewayServer() {
  for (auto& io : ios_) io->stop();
  for (auto& t : threads_) if (t.joinable()) t.join();
}

std::expected<void, std::string> GatewayServer::listen(const config::Endpoint& api, std::shared_ptr<ServerTls> tls) {
  tls_ = std::move(tls);
  std::uint16_t port = api.port;
  for (auto& io : ios_) {
    auto acceptor = open_acceptor(*io, api.host, port, /*reuse_port=*/true);
    if (!acceptor) return std::unexpected(acceptor.error());
    port = acceptor->local_endpoint().port();  // the others share the first one's port
    acceptors_.push_back(std::move(*acceptor));
  }
  api_port_ = port;
  return {};
}

void GatewayServer::start() {
  for (std::size_t i = 0; i < ios_.size(); ++i) {
    asio::co_spawn(*ios_[i], accept_loop(*workers_[i], acceptors_[i], tls_.get()), asio::detached);
  }
  for (std::size_t i = 0; i < ios_.size(); ++i) {
    threads_.emplace_back([io = ios_[i].get()] {
      auto guard = asio::make_work_guard(*io);
      io->run();
    });
  }
}

void GatewayServer::shutdown(core::Duration grace) {
  ctx_.draining.store(true);
  for (auto& pool : ctx_.pools) pool->drain();  // queued requests get 503 now, not at their deadline
  for (std::size_t i = 0; i < acceptors_.size(); ++i) {
    asio::post(*ios_[i], [&acceptor = acceptors_[i]] {
      error_code ignored;
      acceptor.close(ignored);
    });
  }
  const auto deadline = std::chrono::steady_clock::now() + grace;
  while (ctx_.metrics.requests_in_flight.load() > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  const auto left = ctx_.metrics.requests_in_flight.load();
  if (left > 0) {
    // Each request still running is cancelled on its own thread and answers
    // its client (503, or an error event and [DONE]) before the threads stop.
    spdlog::warn("shutdown: cancelling {} request(s) still in flight after the grace period", left);
    for (std::size_t i = 0; i < ios_.size(); ++i) {
      asio::post(*ios_[i], [&worker = *workers_[i]] { worker.grace.cancel_all(); });
    }
    const auto answered_by = std::chrono::steady_clock::now() + kCancelWindow;
    while (ctx_.metrics.requests_in_flight.load() > 0 && std::chrono::steady_clock::now() < answered_by) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    if (const auto stuck = ctx_.metrics.requests_in_flight.load(); stuck > 0) {
      spdlog::warn("shutdown: {} cancelled request(s) did not finish answering their client", stuck);
    }
  }
  for (auto& io : ios_) io->stop();
  for (auto& t : threads_) if (t.joinable()) t.join();
  threads_.clear();
  ctx_.access_log.flush();
}

}  // namespace sluice::proxy
