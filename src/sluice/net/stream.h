#pragma once
/// A connection that is plain TCP or TLS over TCP, decided when it is made
/// (an https listener or upstream gets TLS). Reads and writes pick the layer
/// with one branch on a variant index — no virtual call, no type-erased
/// handler — so a plain connection costs what the plain stream costs, and
/// one type carries both through the proxy's functions.
///
/// `Stream` (over beast::tcp_stream: expiry timers) serves the gateway, its
/// admin listener and its upstream connections; `SocketStream` (over a bare
/// socket) serves engine-sim.
/// Thread-safety: that of the underlying stream (one executor).
#include <boost/beast/ssl.hpp>

#include <chrono>
#include <concepts>
#include <utility>
#include <variant>

#include "sluice/net/asio.h"

namespace sluice::net {

namespace ssl = boost::asio::ssl;

inline tcp::socket& lowest_socket(beast::tcp_stream& s) { return s.socket(); }
inline tcp::socket& lowest_socket(tcp::socket& s) { return s; }

template <class Plain>
class BasicStream {
 public:
  using Tls = beast::ssl_stream<Plain>;
  using executor_type = typename Plain::executor_type;

  explicit BasicStream(Plain plain) : v_(std::in_place_index<0>, std::move(plain)) {}
  explicit BasicStream(Tls tls) : v_(std::in_place_index<1>, std::move(tls)) {}
  BasicStream(BasicStream&&) = default;
  BasicStream& operator=(BasicStream&&) = default;

  bool is_tls() const { return v_.index() == 1; }
  /// The TLS layer; null on a plain connection.
  Tls* tls() { return std::get_if<1>(&v_); }
  /// The TCP layer (under TLS too): expiry, socket options.
  Plain& plain_layer() {
    if (auto* p = std::get_if<0>(&v_)) return *p;
    return std::get_if<1>(&v_)->next_layer();
  }
  tcp::socket& socket() { return lowest_socket(plain_layer()); }
  executor_type get_executor() { return plain_layer().get_executor(); }

  template <class Rep, class Period>
  void expires_after(std::chrono::duration<Rep, Period> d)
    requires std::same_as<Plain, beast::tcp_stream>
  {
    plain_layer().expires_after(std::chrono::duration_cast<std::chrono::steady_clock::duration>(d));
  }
  void expires_at(std::chrono::steady_clock::time_point t)
    requires std::same_as<Plain, beast::tcp_stream>
  {
    plain_layer().expires_at(t);
  }
  void expires_never()
    requires std::same_as<Plain, beast::tcp_stream>
  {
    plain_layer().expires_never();
  }

  template <class MutableBuffers, class Token>
  auto async_read_some(const MutableBuffers& buffers, Token&& token) {
    return asio::async_initiate<Token, void(error_code, std::size_t)>(
        [](auto handler, BasicStream* self, const MutableBuffers& b) {
          if (auto* p = std::get_if<0>(&self->v_)) p->async_read_some(b, std::move(handler));
          else std::get_if<1>(&self->v_)->async_read_some(b, std::move(handler));
        },
        token, this, buffers);
  }

  template <class ConstBuffers, class Token>
  auto async_write_some(const ConstBuffers& buffers, Token&& token) {
    return asio::async_initiate<Token, void(error_code, std::size_t)>(
        [](auto handler, BasicStream* self, const ConstBuffers& b) {
          if (auto* p = std::get_if<0>(&self->v_)) p->async_write_some(b, std::move(handler));
          else std::get_if<1>(&self->v_)->async_write_some(b, std::move(handler));
        },
        token, this, buffers);
  }

 private:
  std::variant<Plain, Tls> v_;
};

using Stream = BasicStream<beast::tcp_stream>;
using SocketStream = BasicStream<tcp::socket>;

}  // namespace sluice::net
