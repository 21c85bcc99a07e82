#pragma once
// A real PostgreSQL for tests: initdb into a temporary directory, started
// on a free loopback port with pg_ctl, stopped (or killed) on demand and on
// destruction. Runs the server as the `postgres` user when the tests run as
// root (PostgreSQL refuses to run as root).
#include <cstdint>
#include <optional>
#include <string>

namespace sluice::testing {

class PostgresServer {
 public:
  PostgresServer();
  ~PostgresServer();
  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

  /// Creates the cluster and starts it; false with error() when that fails
  /// (PostgreSQL not installed: scripts/install-deps.sh --test installs it).
  bool start();
  /// pg_ctl stop -m fast.
  bool stop();
  /// Starts it again on the same port and data.
  bool restart() { return start_server(); }
  const std::string& error() const { return error_; }
  /// postgresql://sluice@127.0.0.1:PORT/postgres
  std::string url() const;
  std::uint16_t port() const { return port_; }

 private:
  bool run(const std::string& command);
  bool start_server();

  std::string bin_;
  std::string dir_;
  std::uint16_t port_ = 0;
  bool as_postgres_ = false;
  bool running_ = false;
  std::string error_;
};

}  // namespace sluice::testing
