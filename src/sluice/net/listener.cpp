#include "sluice/net/listener.h"

#include <sys/socket.h>

#include <fmt/format.h>

namespace sluice::net {

std::expected<tcp::acceptor, std::string> open_acceptor(asio::io_context& io, const std::string& host,
                                                        std::uint16_t port, bool reuse_port) {
  error_code ec;
  const auto address = asio::ip::make_address(host, ec);
  if (ec) return std::unexpected(fmt::format("{}:{}: not an IP address: {}", host, port, ec.message()));
  tcp::endpoint endpoint(address, port);
  tcp::acceptor acceptor(io);
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec && reuse_port) {
    const int one = 1;
    if (::setsockopt(acceptor.native_handle(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0)
      ec = error_code(errno, boost::system::system_category());
  }
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return std::unexpected(fmt::format("{}:{}: {}", host, port, ec.message()));
  return acceptor;
}

asio::awaitable<bool> wait_peer_closed(tcp::socket& socket) {
  auto [ec] = co_await socket.async_wait(tcp::socket::wait_read, use_nothrow);
  if (ec == asio::error::operation_aborted) co_return false;
  if (ec) co_return true;
  char byte;
  const auto n = ::recv(socket.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  if (n == 0) co_return true;
  if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) co_return true;
  // Pipelined bytes of the next request: we cannot watch further without
  // reading them, so wait (cancellably) without watching.
  asio::steady_timer forever(co_await asio::this_coro::executor, asio::steady_timer::time_point::max());
  co_await forever.async_wait(use_nothrow);
  co_return false;
}

}  // namespace sluice::net
