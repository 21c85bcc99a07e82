#include "sluice/net/listener.h"

#include <fcntl.h>
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
  // Child processes (engine-sim) must not inherit the listening socket.
  if (!ec && ::fcntl(acceptor.native_handle(), F_SETFD, FD_CLOEXEC) != 0)
    ec = error_code(errno, boost::system::system_category());
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

PeerCloseWatch::PeerCloseWatch(tcp::socket& socket, std::function<void()> on_closed)
    : socket_(socket), state_(std::make_shared<State>()) {
  state_->on_closed = std::move(on_closed);
  socket_.async_wait(tcp::socket::wait_read, [state = state_, &socket = socket_](const error_code& ec) {
    if (state->stopped || ec == asio::error::operation_aborted) return;
    bool closed = static_cast<bool>(ec);
    if (!closed) {
      char byte;
      const auto n = ::recv(socket.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
      closed = n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
    }
    // Pipelined bytes of a next request tell us nothing: stop watching.
    if (!closed) return;
    state->closed = true;
    state->on_closed();
  });
}

void PeerCloseWatch::stop() {
  if (state_->stopped) return;
  state_->stopped = true;
  error_code ignored;
  socket_.cancel(ignored);
}

}  // namespace sluice::net
