#pragma once
/// The gateway a drill starts for itself: `sluice serve -c CONFIG --quiet`
/// run from the drill's own binary, its access log discarded and its log
/// (stderr) written to a file, where the `listening: api HOST:PORT admin
/// HOST:PORT` line tells the ports (the config may say port 0). It dies with
/// the drill (PR_SET_PDEATHSIG) and is stopped with SIGTERM, then SIGKILL.
/// Thread-safety: none; one thread owns it.
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <expected>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace sluice::drill {

struct ListenAddress {
  std::string host;
  std::uint16_t port = 0;
};

struct GatewayAddresses {
  ListenAddress api;
  ListenAddress admin;
};

/// The addresses of the first `listening: api HOST:PORT admin HOST:PORT`
/// line in a gateway log, if there is one yet. Pure.
std::optional<GatewayAddresses> find_listening_line(std::string_view log);

class GatewayProcess {
 public:
  /// Starts `exe serve -c config_path --quiet` with its log in `log_path`,
  /// then waits (within `timeout`) for the listening line and for /readyz to
  /// answer 200. On failure the process is stopped and the error carries the
  /// end of its log.
  static std::expected<std::unique_ptr<GatewayProcess>, std::string> start(const std::string& exe,
                                                                           const std::string& config_path,
                                                                           const std::string& log_path,
                                                                           std::chrono::milliseconds timeout);
  /// Stops the process if it still runs.
  ~GatewayProcess();
  GatewayProcess(const GatewayProcess&) = delete;
  GatewayProcess& operator=(const GatewayProcess&) = delete;

  const GatewayAddresses& addresses() const { return addresses_; }
  pid_t pid() const { return pid_; }
  /// The last `lines` lines of its log.
  std::string log_tail(std::size_t lines) const;
  /// SIGTERM, up to `grace` for it to exit, then SIGKILL. Its exit status
  /// (128 + signal when killed).
  int stop(std::chrono::milliseconds grace);

 private:
  GatewayProcess(pid_t pid, std::string log_path) : pid_(pid), log_path_(std::move(log_path)) {}
  /// Reaps the process if it has exited; true while it runs.
  bool running();

  pid_t pid_ = -1;
  std::optional<int> exit_status_;
  std::string log_path_;
  GatewayAddresses addresses_;
};

}  // namespace sluice::drill
