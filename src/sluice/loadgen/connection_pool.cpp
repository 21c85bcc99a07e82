#include "sluice/loadgen/connection_pool.h"

namespace sluice::loadgen {

using namespace sluice::net;

std::optional<beast::tcp_stream> ConnectionPool::take_idle() {
  if (idle_.empty()) return std::nullopt;
  beast::tcp_stream stream = std::move(idle_.back());
  idle_.pop_back();
  return stream;
}

void ConnectionPool::put_idle(beast::tcp_stream stream) {
  if (idle_.size() >= max_idle_) return;  // closed as it goes out of scope
  stream.expires_never();
  idle_.push_back(std::move(stream));
}

asio::awaitable<std::expected<beast::tcp_stream, error_code>> ConnectionPool::connect(
    std::chrono::steady_clock::duration timeout) {
  auto executor = co_await asio::this_coro::executor;
  beast::tcp_stream stream(executor);
  stream.expires_after(timeout);
  auto [ec, endpoint] = co_await stream.async_connect(endpoints_, use_nothrow);
  stream.expires_never();
  if (ec) co_return std::unexpected(ec);
  error_code ignored;
  stream.socket().set_option(tcp::no_delay(true), ignored);
  ++opened_;
  co_return stream;
}

asio::awaitable<std::expected<std::vector<tcp::endpoint>, std::string>> resolve_endpoints(std::string host,
                                                                                         std::uint16_t port) {
  error_code ec;
  const auto address = asio::ip::make_address(host, ec);
  if (!ec) {
    std::vector<tcp::endpoint> literal;
    literal.emplace_back(address, port);
    co_return literal;
  }
  tcp::resolver resolver(co_await asio::this_coro::executor);
  const std::string service = std::to_string(port);
  auto [rec, results] = co_await resolver.async_resolve(host, service, use_nothrow);
  if (rec) co_return std::unexpected(host + ": " + rec.message());
  std::vector<tcp::endpoint> out;
  for (const auto& entry : results) out.push_back(entry.endpoint());
  if (out.empty()) co_return std::unexpected(host + ": no address");
  co_return out;
}

}  // namespace sluice::loadgen
