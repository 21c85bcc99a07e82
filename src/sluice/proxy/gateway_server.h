#pragma once
/// The gateway's I/O: N threads, each with its own io_context, its own
/// acceptor on the shared API port (SO_REUSEPORT) and its own upstream pool.
/// The admin listener runs on thread 0.
#include <expected>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "sluice/net/asio.h"
#include "sluice/net/tls.h"
#include "sluice/proxy/gateway_context.h"
#include "sluice/proxy/worker.h"

namespace sluice::proxy {

class GatewayServer {
 public:
  GatewayServer(GatewayContext& ctx, int threads);
  ~GatewayServer();

  /// Binds the API listener; returns an error message on failure. With
  /// `tls`, it serves https: each handshake uses the certificate `tls` holds
  /// then (a reload swaps it for new connections).
  std::expected<void, std::string> listen(const config::Endpoint& api, std::shared_ptr<net::ServerTls> tls = nullptr);
  /// The bound API port (useful when configured as 0).
  std::uint16_t api_port() const { return api_port_; }
  /// io_context of thread 0, for the admin listener and control-plane work.
  net::asio::io_context& control_io() { return *ios_.front(); }

  /// Starts the threads; returns at once.
  void start();
  /// Stops accepting, lets in-flight requests finish for up to `grace`, then
  /// cancels those still running (each answers its client: a 503 body, or an
  /// SSE error event and [DONE]; up to a second more) and stops every
  /// thread. Blocks until they have joined. The admin listener, on thread 0,
  /// answers until then.
  void shutdown(core::Duration grace);

 private:
  GatewayContext& ctx_;
  std::vector<std::unique_ptr<net::asio::io_context>> ios_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::vector<net::tcp::acceptor> acceptors_;
  std::vector<std::thread> threads_;
  std::uint16_t api_port_ = 0;
  std::shared_ptr<net::ServerTls> tls_;
};

}  // namespace sluice::proxy
