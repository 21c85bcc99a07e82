#pragma once
/// Keep-alive connections to the gateway for `sluice load`: idle ones are
/// parked and reused, a new one is opened whenever none is idle (the open
/// loop never waits for a free connection). At most `max_idle` are parked;
/// the number in use is bounded by the runner's in-flight cap.
/// Thread-safety: none; use from the io_context's one thread.
#include <chrono>
#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <vector>

#include "sluice/net/asio.h"

namespace sluice::loadgen {

class ConnectionPool {
 public:
  ConnectionPool(std::vector<net::tcp::endpoint> endpoints, std::size_t max_idle)
      : endpoints_(std::move(endpoints)), max_idle_(max_idle) {}

  /// A parked connection, if any (it may have been closed by the server
  /// meanwhile; the caller retries once on a new one).
  std::optional<net::beast::tcp_stream> take_idle();
  /// Parks a connection whose last exchange ended cleanly; closes it when
  /// max_idle are parked already.
  void put_idle(net::beast::tcp_stream stream);
  /// Opens a new connection within `timeout`.
  net::asio::awaitable<std::expected<net::beast::tcp_stream, net::error_code>> connect(
      std::chrono::steady_clock::duration timeout);
  /// Connections opened so far.
  std::uint64_t opened() const { return opened_; }
  /// Closes every parked connection.
  void clear() { idle_.clear(); }

 private:
  std::vector<net::tcp::endpoint> endpoints_;
  std::size_t max_idle_;
  std::vector<net::beast::tcp_stream> idle_;
  std::uint64_t opened_ = 0;
};

/// The addresses of `host` (a literal address is used as it is).
net::asio::awaitable<std::expected<std::vector<net::tcp::endpoint>, std::string>> resolve_endpoints(
    std::string host, std::uint16_t port);

}  // namespace sluice::loadgen
