#pragma once
// A real Redis for tests: `redis-server` started on a free loopback port
// with no persistence, stopped (SIGTERM) or killed (SIGKILL) on demand,
// restarted on the same port, and stopped on destruction.
#include <sys/types.h>

#include <cstdint>
#include <string>

namespace sluice::testing {

class RedisServer {
 public:
  RedisServer() = default;
  ~RedisServer();
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  /// Starts it and waits until it answers PING; false with error() when that
  /// fails (redis-server not installed: scripts/install-deps.sh --test).
  bool start();
  /// SIGKILL and wait: what a crashed Redis looks like to its clients.
  void kill();
  /// Starts it again on the same port (empty: it had no persistence).
  bool restart() { return launch(); }
  bool running() const { return pid_ > 0; }
  const std::string& error() const { return error_; }
  std::uint16_t port() const { return port_; }
  /// redis://127.0.0.1:PORT
  std::string url() const { return "redis://127.0.0.1:" + std::to_string(port_); }

 private:
  bool launch();

  pid_t pid_ = -1;
  std::uint16_t port_ = 0;
  std::string error_;
};

}  // namespace sluice::testing
