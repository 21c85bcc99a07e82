#pragma once
/// Runs a LoadPlan against the gateway on its own thread: one request per
/// 1/rate seconds, open loop (never waiting for earlier answers), each on
/// its own connection, non-streamed and streamed mixed, every answer read
/// to its end and judged (answer_check.h). Loopback drills only: the rate is
/// capped and nothing but the given gateway is contacted.
///
/// Thread-safety: start() and stop() from one thread; the counters belong to
/// the load's thread until stop() has joined it.
#include <expected>
#include <memory>
#include <string>
#include <thread>

#include "sluice/drill/answer_check.h"
#include "sluice/drill/load_plan.h"

namespace sluice::drill {

class SteadyLoad {
 public:
  explicit SteadyLoad(LoadPlan plan);
  /// Stops the load if it is still running.
  ~SteadyLoad();
  SteadyLoad(const SteadyLoad&) = delete;
  SteadyLoad& operator=(const SteadyLoad&) = delete;

  /// Resolves the gateway's address and starts sending.
  std::expected<void, std::string> start();
  /// Stops sending and waits for every request already sent to end (each
  /// is bounded by the plan's request timeout); returns what the load saw.
  LoadCounters stop();

  struct State;

 private:
  std::unique_ptr<State> state_;
  std::thread thread_;
};

}  // namespace sluice::drill
