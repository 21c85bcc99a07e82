#include "sluice/proxy/upstream_pool.h"


namespace sluice::proxy {

using namespace sluice::net;

std::optional<beast::tcp_stream> UpstreamPool::take_idle(const balance::Instance& instance) {
  auto it = idle_.find(instance.serial);
  if (it == idle_.end()) return std::nullopt;
  auto& parked = it->second;
  if (parked.empty()) return std::nullopt;
  // No liveness probe here (it would cost a syscall per request): a parked
  // connection the engine has closed fails before any response byte, and
  // the exchange then retries once on a new connection.
  beast::tcp_stream stream = std::move(parked.back());
  parked.pop_back();
  return stream;
}

void UpstreamPool::put_idle(const balance::Instance& instance, beast::tcp_stream stream) {
  if (!instance.available.load(std::memory_order_relaxed)) return;
  auto& parked = idle_[instance.serial];
  if (parked.size() < max_idle_) parked.push_back(std::move(stream));
}

asio::awaitable<std::expected<beast::tcp_stream, error_code>> UpstreamPool::connect(const balance::Instance& instance,
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
    if (rec) co_return std::unexpected(rec);
    auto [cec, ep] = co_await stream.async_connect(results, use_nothrow);
    ec = cec;
  }
  stream.expires_never();
  if (ec) co_return std::unexpected(ec);
  stream.socket().set_option(tcp::no_delay(true), ec);
  co_return stream;
}

}  // namespace sluice::proxy
