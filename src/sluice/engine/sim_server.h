#pragma once
/// The engine simulator's HTTP server: an OpenAI-compatible front
/// (/v1/chat/completions, /v1/completions, /v1/models), vLLM's operational
/// endpoints (/health, /metrics, /sleep, /wake_up, /is_sleeping) and a fault
/// injection endpoint (/admin/faults), in front of a TimingModel driven in
/// real time.
///
/// Thread-safety: everything runs on the io_context it is given, which must
/// be run by exactly one thread. start() may be called before that thread
/// starts; stop() must run on it (asio::post it from elsewhere).
#include <cstdint>
#include <expected>
#include <functional>
#include <memory>
#include <string>

#include "sluice/engine/profile.h"
#include "sluice/net/asio.h"
#include "sluice/net/stream.h"

namespace sluice::engine {

struct SimServerConfig {
  std::string host = "127.0.0.1";
  /// 0 = an ephemeral port.
  std::uint16_t port = 8000;
  EngineProfile profile;
  /// Name answered in `model` and /v1/models; empty = the profile's model.
  std::string served_model_name;
  /// Model time runs this many times faster than wall time.
  double speedup = 1.0;
  std::uint64_t seed = 0;
  /// Honour the profile's cold_load_s: /health answers 503 until loaded.
  bool simulate_load = false;
  /// A corrupt model: the cold load (simulated even without simulate_load)
  /// fails once cold_load_s has passed; on_load_failed is called and the
  /// server stops, on_ready never is.
  bool fail_load = false;
  /// Called once listening and loaded, with the bound port.
  std::function<void(std::uint16_t port)> on_ready;
  /// Called when the load fails (fail_load), just before the server stops.
  std::function<void()> on_load_failed;
  /// Serve https with this certificate (net::make_server_context); null = http.
  std::shared_ptr<net::ssl::context> tls;
};

struct SimContext;

class SimServer {
 public:
  SimServer(net::asio::io_context& io, SimServerConfig config);
  ~SimServer();
  SimServer(const SimServer&) = delete;
  SimServer& operator=(const SimServer&) = delete;

  /// Binds, listens and starts serving; returns the bound port.
  std::expected<std::uint16_t, std::string> start();
  /// Graceful stop: closes the listener and every connection, fails in-flight
  /// requests, ends the engine loop. io.run() returns once all is unwound.
  void stop();

 private:
  net::asio::awaitable<void> accept_loop();
  net::asio::awaitable<void> session(net::tcp::socket socket);
  net::asio::awaitable<void> finish_loading(std::uint16_t port);

  net::asio::io_context& io_;
  std::unique_ptr<SimContext> ctx_;
  std::unique_ptr<net::tcp::acceptor> acceptor_;
};

}  // namespace sluice::engine
