#pragma once
/// The `sim` provider: one `sluice engine-sim` child process per instance of
/// every `sim` model, on loopback ports the children pick. Children die with
/// the gateway even when it is SIGKILLed (PR_SET_PDEATHSIG). Exits are seen at
/// once through SIGCHLD (the caller routes the signal to `reap()`).
/// Thread-safety: start/stop from the main thread; reap() from one thread.
#include <sys/types.h>

#include <expected>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "sluice/balance/routing_table.h"
#include "sluice/config/config.h"
#include "sluice/core/clock.h"

namespace sluice::provider {

struct SimChild {
  std::string model;
  int index = 0;
  pid_t pid = -1;
  int output_fd = -1;  // child's stdout+stderr, pumped to our stderr
  bool exited = false;
  std::shared_ptr<balance::Instance> instance;
};

class SimFleet {
 public:
  /// `engine_exe` is the sluice binary (the children run `engine-sim`).
  explicit SimFleet(std::string engine_exe);
  ~SimFleet();
  SimFleet(const SimFleet&) = delete;
  SimFleet& operator=(const SimFleet&) = delete;

  /// Starts every sim instance and waits until each listens and answers
  /// /health, within `timeout` in all. On failure, stops what it started.
  std::expected<void, std::string> start(const config::Config& config, core::Duration timeout);
  /// The instances of `model`, in index order.
  std::vector<std::shared_ptr<balance::Instance>> instances_of(std::string_view model) const;
  std::size_t size() const { return children_.size(); }

  /// Reaps children that exited, marks their instances unavailable, and
  /// returns a description of each ("llama-3.1-8b-instruct/1 (pid 123) exited with status 1").
  std::vector<std::string> reap();
  /// SIGTERM to every live child, waits up to `grace`, then SIGKILL; reaps all.
  void stop(core::Duration grace);

 private:
  std::expected<void, std::string> spawn(const config::Model& model, int index);
  std::expected<void, std::string> await_ready(SimChild& child, std::chrono::steady_clock::time_point deadline);
  void start_output_pump();

  std::string engine_exe_;
  mutable std::mutex mu_;
  std::vector<SimChild> children_;
  std::thread pump_;
  int pump_wake_[2] = {-1, -1};
};

/// Blocking GET http://127.0.0.1:port/path; true on 200 within `timeout`.
bool probe_http_ok(const std::string& host, std::uint16_t port, const std::string& path, core::Duration timeout);

}  // namespace sluice::provider
