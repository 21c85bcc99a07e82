#pragma once
/// Keep-alive connections to engine instances, one pool per I/O thread (so no
/// locking): idle connections are parked per instance and reused; a parked
/// connection the engine has closed is dropped when next taken. Connections
/// to https instances (Instance::tls) are TLS, handshake included in connect.
/// Thread-safety: none; use from the owning I/O thread only.
#include <chrono>
#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "sluice/balance/routing_table.h"
#include "sluice/net/asio.h"
#include "sluice/net/stream.h"

namespace sluice::proxy {

/// Why no connection was made: the socket's error, and for a failed TLS
/// handshake its reason ("certificate verify failed: certificate has
/// expired"), empty otherwise.
struct ConnectError {
  net::error_code ec;
  std::string tls;
};

class UpstreamPool {
 public:
  explicit UpstreamPool(std::size_t max_idle_per_instance = 256) : max_idle_(max_idle_per_instance) {}

  /// A parked live connection to `instance`, if any.
  std::optional<net::Stream> take_idle(const balance::Instance& instance);
  /// Parks a connection whose last exchange ended cleanly.
  void put_idle(const balance::Instance& instance, net::Stream stream);
  /// Opens a new connection within `timeout` (TCP and, for https, TLS).
  static net::asio::awaitable<std::expected<net::Stream, ConnectError>> connect(const balance::Instance& instance,
                                                                                std::chrono::nanoseconds timeout);

 private:
  std::size_t max_idle_;
  std::unordered_map<std::uint64_t, std::vector<net::Stream>> idle_;
};

}  // namespace sluice::proxy
