#pragma once
/// Drives a TimingModel in real time on one Asio executor: one engine-loop
/// coroutine runs step after step (waiting each step's duration, divided by
/// the speedup, on a steady_timer) and hands produced tokens to the request
/// coroutines waiting on them.
///
/// Model time runs `speedup` times faster than wall time, so the model's
/// histograms (TTFT, inter-token latency) report what the simulated engine
/// would measure.
///
/// Thread-safety: none. Every call must run on the driver's executor (the
/// sim server uses one io_context thread).
#include <cstdint>
#include <expected>
#include <memory>
#include <unordered_map>
#include <vector>

#include "sluice/engine/timing_model.h"
#include "sluice/net/asio.h"

namespace sluice::engine {

/// State of one request, shared by its handler coroutine and the engine loop.
/// The loop updates the fields and calls notify(); the handler re-reads them
/// after every wait, so a notification sent while it was busy is not lost.
struct RequestState {
  explicit RequestState(net::asio::any_io_executor ex) : signal_(ex, net::asio::steady_timer::time_point::max()) {}

  SequenceId id = 0;
  Admission admission;
  std::int64_t produced = 0;       // tokens produced so far
  std::int64_t cached_tokens = 0;  // known from the first token on
  bool finished = false;
  bool aborted = false;      // failed by sleep or server shutdown
  bool client_gone = false;  // the client disconnected
  bool released = false;     // the handler is done (RealTimeDriver::release)

  /// Wakes the handler.
  void notify() { signal_.cancel(); }
  /// Suspends until the next notify(). A notify() sent while nobody waits is
  /// not remembered: check the fields before waiting (single-threaded, so
  /// nothing changes between the check and the wait).
  net::asio::awaitable<void> wait();

 private:
  net::asio::steady_timer signal_;
};

class RealTimeDriver {
 public:
  RealTimeDriver(net::asio::any_io_executor ex, EngineProfile profile, std::uint64_t seed, double speedup);
  RealTimeDriver(const RealTimeDriver&) = delete;
  RealTimeDriver& operator=(const RealTimeDriver&) = delete;

  /// Spawns the engine loop.
  void start();
  /// Ends the loop and wakes every request with `aborted`.
  void stop();

  /// Model time now.
  core::TimePoint now() const;
  /// Wall time for a model duration (÷ speedup).
  core::Duration to_wall(core::Duration model) const;

  /// Submits a sequence (its id is assigned here).
  std::expected<std::shared_ptr<RequestState>, SubmitError> submit(SequenceSpec spec);
  /// Registers a request that is never given to the engine (hang fault), so
  /// stop() and disconnect detection still reach it.
  std::shared_ptr<RequestState> park();
  /// The client went away: cancels the sequence (frees its KV) and counts it.
  void client_gone(RequestState& state);
  /// The handler is done with `state`: a sequence still in the engine (the
  /// handler gave up on it, e.g. a dropped stream) is cancelled.
  void release(RequestState& state);

  /// Sleep level 1: fails every in-flight request.
  void sleep();
  /// Fails every in-flight request and leaves the engine as it is (the
  /// unhealthy fault: a dead engine core).
  void fail_all();
  /// Starts waking up; returns the wall time until the engine is awake.
  core::Duration wake_up();
  /// Cold start: not ready for cold_load_s (model time).
  void begin_cold_load();

  void set_slow_factor(double factor) { slow_factor_ = factor; }

  const TimingModel& model() const { return model_; }
  /// Requests cancelled because their client disconnected.
  std::int64_t client_cancels() const { return client_cancels_; }

 private:
  net::asio::awaitable<void> loop();
  void deliver(const std::vector<StepEvent>& events);
  /// Wakes every registered request with `aborted` and forgets them.
  void abort_active();

  net::asio::any_io_executor ex_;
  TimingModel model_;
  double speedup_;
  double slow_factor_ = 1.0;
  core::TimePoint wall_epoch_;
  net::asio::steady_timer idle_;
  net::asio::steady_timer step_timer_;
  std::unordered_map<SequenceId, std::shared_ptr<RequestState>> active_;
  SequenceId next_id_ = 1;
  std::int64_t client_cancels_ = 0;
  bool stopping_ = false;
};

}  // namespace sluice::engine
