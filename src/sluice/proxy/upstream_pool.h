#pragma once
/// Keep-alive connections to engine instances, one pool per I/O thread (so no
/// locking): idle connections are parked per instance and reused; a parked
/// connection the engine has closed is dropped when next taken.
/// Thread-safety: none; use from the owning I/O thread only.
#include <chrono>
#include <cstdint>
#include <expected>
#include <optional>
#include <unordered_map>
#include <vector>

#include "sluice/balance/routing_table.h"
#include "sluice/net/asio.h"

namespace sluice::proxy {

class UpstreamPool {
 public:
  explicit UpstreamPool(std::size_t max_idle_per_instance = 256) : max_idle_(max_idle_per_instance) {}

  /// A parked live connection to `instance`, if any.
  std::optional<net::beast::tcp_stream> take_idle(const balance::Instance& instance);
  /// Parks a connection whose last exchange ended cleanly.
  void put_idle(const balance::Instance& instance, net::beast::tcp_stream stream);
  /// Opens a new connection within `timeout`.
  static net::asio::awaitable<std::expected<net::beast::tcp_stream, net::error_code>> connect(
      const balance::Instance& instance, std::chrono::nanoseconds timeout);

 private:
  std::size_t max_idle_;
  std::unordered_map<std::uint64_t, std::vector<net::beast::tcp_stream>> idle_;
};

}  // namespace sluice::proxy
