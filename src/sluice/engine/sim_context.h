#pragma once
/// State shared by the sim server's endpoints. Internal to the engine area.
/// Thread-safety: none; lives on the server's single io_context thread.
#include <cstdint>
#include <string>
#include <unordered_set>

#include "sluice/engine/faults.h"
#include "sluice/engine/http_io.h"
#include "sluice/engine/openai_codec.h"
#include "sluice/engine/realtime_driver.h"
#include "sluice/engine/sim_server.h"

namespace sluice::engine {

struct SimContext {
  SimContext(net::asio::any_io_executor ex, SimServerConfig cfg);

  net::asio::any_io_executor executor;
  SimServerConfig config;
  std::string model_name;
  RealTimeDriver driver;
  FaultConfig faults;
  /// Counter for the error-rate fault's draws and response ids.
  std::uint64_t draws = 0;
  std::uint64_t responses = 0;
  bool stopping = false;
  /// Open connections, closed by stop().
  std::unordered_set<net::tcp::socket*> sockets;
  /// Timers of waits that stop() must cut short (wake-up, cold load).
  std::unordered_set<net::asio::steady_timer*> timers;
};

/// What a dead engine core answers (the unhealthy fault): a 500, as vLLM
/// does after an EngineDeadError.
core::Error engine_dead_error();

/// POST /v1/chat/completions and /v1/completions. Returns whether the
/// connection may be kept open.
net::asio::awaitable<bool> handle_completion(SimContext& ctx, net::SocketStream& socket, const HttpRequest& req,
                                             ApiKind kind);

}  // namespace sluice::engine
