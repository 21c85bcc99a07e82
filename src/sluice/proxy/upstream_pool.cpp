#include "sluice/proxy/upstream_pool.h"

#include <spdlog/spdlog.h>

#include <mutex>
#include <unordered_map>

#include "sluice/net/tls.h"

namespace sluice::proxy {

using namespace sluice::net;

namespace {

/// A refused certificate fails every try on the instance: say why in the
/// log, at most once every 10 s per instance (the client gets a 502 with
/// the reason each time). Only failed handshakes come here.
void log_tls_failure(const balance::Instance& instance, const std::string& why) {
  static std::mutex mu;
  static std::unordered_map<std::uint64_t, std::chrono::steady_clock::time_point> last_logged;
  const auto now = std::chrono::steady_clock::now();
  {
    std::lock_guard lock(mu);
    auto [it, fresh] = last_logged.try_emplace(instance.serial, now);
    if (!fresh && now - it->second < std::chrono::seconds(10)) return;
    it->second = now;
  }
  spdlog::warn("instance {} ({}:{}): TLS connection refused: {}", instance.id.str(), instance.host, instance.port, why);
}

}  // namespace

std::optional<Stream> UpstreamPool::take_idle(const balance::Instance& instance) {
  auto it = idle_.find(instance.serial);
  if (it == idle_.end()) return std::nullopt;
  auto& parked = it->second;
  if (parked.empty()) return std::nullopt;
  // No liveness probe here (it would cost a syscall per request): a parked
  // connection the engine has closed fails before any response byte, and
  // the exchange then retries once on a new connection.
  Stream stream = std::move(parked.back());
  parked.pop_back();
  return stream;
}

void UpstreamPool::put_idle(const balance::Instance& instance, Stream stream) {
  if (!instance.available.load(std::memory_order_relaxed)) return;
  auto& parked = idle_[instance.serial];
  if (parked.size() < max_idle_) parked.push_back(std::move(stream));
}

asio::awaitable<std::expected<Stream, ConnectError>> UpstreamPool::connect(const balance::Instance& instance,
                                                                          std::chrono::nanoseconds timeout) {
  auto executor = co_await asio::this_coro::executor;
  beast::tcp_stream stream(executor);
  error_code ec;
  const auto address = asio::ip::make_address(instance.host, ec);
  stream.expires_after(timeout);
  if (!ec) {
    auto [cec] = co_await stream.async_connect(tcp::endpoint(address, instance.port), use_nothrow);
    ec = cec;
  } else {
    tcp::resolver resolver(executor);
    auto [rec, results] = co_await resolver.async_resolve(instance.host, std::to_string(instance.port), use_nothrow);
    if (rec) co_return std::unexpected(ConnectError{rec, {}});
    auto [cec, ep] = co_await stream.async_connect(results, use_nothrow);
    ec = cec;
  }
  if (ec) co_return std::unexpected(ConnectError{ec, {}});
  stream.socket().set_option(tcp::no_delay(true), ec);
  if (!instance.tls) {
    stream.expires_never();
    co_return Stream(std::move(stream));
  }
  // The connect timeout bounds the handshake too.
  auto tls = co_await tls_connect(std::move(stream), *instance.tls, instance.host);
  if (!tls) {
    log_tls_failure(instance, tls.error());
    co_return std::unexpected(ConnectError{asio::error::connection_aborted, std::move(tls.error())});
  }
  tls->expires_never();
  co_return std::move(*tls);
}

}  // namespace sluice::proxy
