#pragma once
/// The state of one `sluice load` run, shared by the dispatcher, the
/// samplers and every request coroutine. Internal to loadgen/.
/// Thread-safety: none; everything runs on the io_context's one thread.
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "sluice/loadgen/connection_pool.h"
#include "sluice/loadgen/load_runner.h"
#include "sluice/net/asio.h"
#include "sluice/workload/report.h"

namespace sluice::loadgen {

/// What every request of one tenant shares.
struct TenantPlan {
  std::string model;
  std::string authorization;  // "Bearer <key>"
  std::string priority;       // x-sluice-priority, or ""
  bool stream = true;
};

struct RunState {
  using SteadyClock = std::chrono::steady_clock;

  RunState(const workload::Workload& workload, const LoadOptions& options, std::vector<net::tcp::endpoint> endpoints);

  /// Seconds since the start of the run.
  double now_s() const { return std::chrono::duration<double>(SteadyClock::now() - start).count(); }
  SteadyClock::time_point at(double offset_s) const {
    return start + std::chrono::duration_cast<SteadyClock::duration>(std::chrono::duration<double>(offset_s));
  }

  // Declared first so that it is destroyed last: the sockets below belong to it.
  net::asio::io_context io{1};
  LoadOptions options;
  std::string host_header;   // "host:port"
  std::string target;        // prefix + "/v1/chat/completions"
  std::vector<TenantPlan> plans;
  ConnectionPool pool;
  workload::RunRecorder recorder;
  LoadStats stats;
  std::vector<std::int64_t> waiting_first_token;  // per tenant
  SteadyClock::time_point start{};
  /// No request may outlive this (the end of the drain).
  SteadyClock::time_point hard_deadline{};
  std::uint32_t nonce = 0;   // makes prompts unique across runs
  bool arrivals_done = false;
  /// The progress line's timer, woken when the run is over.
  net::asio::steady_timer* progress_timer = nullptr;

  bool finished() const { return arrivals_done && stats.in_flight == 0; }
  void wake_if_finished() {
    if (finished() && progress_timer != nullptr) progress_timer->cancel();
  }
};

/// Sends one request and records how it went. Never throws for I/O errors.
net::asio::awaitable<void> send_request(RunState& run, workload::Arrival arrival);

}  // namespace sluice::loadgen
