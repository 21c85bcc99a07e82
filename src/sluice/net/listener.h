#pragma once
#include <cstdint>
#include <expected>
#include <functional>
#include <memory>
#include <string>

#include "sluice/net/asio.h"

namespace sluice::net {

/// Opens, binds and listens on host:port. With `reuse_port`, several
/// acceptors (one per I/O thread) can share the port and the kernel spreads
/// connections among them. Returns a message on failure ("127.0.0.1:8080:
/// Address already in use").
std::expected<tcp::acceptor, std::string> open_acceptor(asio::io_context& io, const std::string& host,
                                                        std::uint16_t port, bool reuse_port);

/// Watches `socket` for its peer closing or resetting the connection while
/// nobody reads from it (a client waiting for its response), and calls
/// `on_closed` once if it does. Cheaper than a coroutine: one reactor wait.
/// Stop it with `stop()` before reading from the socket again.
/// Thread-safety: use from the socket's own executor only.
class PeerCloseWatch {
 public:
  PeerCloseWatch(tcp::socket& socket, std::function<void()> on_closed);
  ~PeerCloseWatch() { stop(); }
  PeerCloseWatch(const PeerCloseWatch&) = delete;
  PeerCloseWatch& operator=(const PeerCloseWatch&) = delete;

  /// Cancels the wait; `on_closed` is not called afterwards.
  void stop();
  bool peer_closed() const { return state_->closed; }

 private:
  struct State {
    std::function<void()> on_closed;
    bool stopped = false;
    bool closed = false;
  };
  tcp::socket& socket_;
  std::shared_ptr<State> state_;
};

}  // namespace sluice::net
