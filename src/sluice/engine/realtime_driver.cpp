#include "sluice/engine/realtime_driver.h"

#include <chrono>


namespace sluice::engine {

namespace asio = net::asio;

asio::awaitable<void> RequestState::wait() {
  signal_.expires_at(asio::steady_timer::time_point::max());
  co_await signal_.async_wait(net::use_nothrow);
}

RealTimeDriver::RealTimeDriver(asio::any_io_executor ex, EngineProfile profile, std::uint64_t seed, double speedup)
    : ex_(ex),
      model_(std::move(profile), seed),
      speedup_(speedup > 0 ? speedup : 1.0),
      wall_epoch_(core::SteadyClock().now()),
      idle_(ex, asio::steady_timer::time_point::max()),
      step_timer_(ex) {}

core::TimePoint RealTimeDriver::now() const {
  const auto wall = core::SteadyClock().now() - wall_epoch_;
  if (speedup_ == 1.0) return core::TimePoint{} + wall;
  return core::TimePoint{} + core::Duration(static_cast<std::int64_t>(static_cast<double>(wall.count()) * speedup_));
}

core::Duration RealTimeDriver::to_wall(core::Duration model) const {
  return core::Duration(static_cast<std::int64_t>(static_cast<double>(model.count()) / speedup_));
}

void RealTimeDriver::start() {
  asio::co_spawn(ex_, loop(), asio::detached);
}

void RealTimeDriver::stop() {
  stopping_ = true;
  idle_.cancel();
  step_timer_.cancel();
  for (auto& [id, state] : active_) {
    state->aborted = true;
    state->notify();
  }
  active_.clear();
}

std::expected<std::shared_ptr<RequestState>, SubmitError> RealTimeDriver::submit(SequenceSpec spec) {
  const SequenceId id = next_id_++;
  spec.id = id;
  auto admission = model_.submit(std::move(spec), now());
  if (!admission) return std::unexpected(admission.error());
  auto state = std::make_shared<RequestState>(ex_);
  state->id = id;
  state->admission = *admission;
  active_.emplace(id, state);
  idle_.cancel();
  return state;
}

std::shared_ptr<RequestState> RealTimeDriver::park() {
  auto state = std::make_shared<RequestState>(ex_);
  state->id = next_id_++;
  active_.emplace(state->id, state);
  return state;
}

void RealTimeDriver::client_gone(RequestState& state) {
  if (state.client_gone) return;
  state.client_gone = true;
  if (!state.finished && !state.aborted) {
    ++client_cancels_;
    model_.cancel(state.id);
    active_.erase(state.id);
  }
  state.notify();
}

void RealTimeDriver::release(RequestState& state) {
  if (state.released) return;
  state.released = true;
  if (!state.finished && !state.aborted) model_.cancel(state.id);
  active_.erase(state.id);
}

void RealTimeDriver::sleep() {
  std::vector<SequenceId> aborted;
  model_.sleep(now(), aborted);
  abort_active();
}

void RealTimeDriver::fail_all() {
  std::vector<SequenceId> aborted;
  model_.abort_all(now(), aborted);
  abort_active();
}

void RealTimeDriver::abort_active() {
  for (auto& [id, state] : active_) {
    state->aborted = true;
    state->notify();
  }
  active_.clear();
}

core::Duration RealTimeDriver::wake_up() {
  const auto t = now();
  const auto ready = model_.wake_up(t);
  idle_.cancel();
  return ready > t ? to_wall(ready - t) : core::Duration::zero();
}

void RealTimeDriver::begin_cold_load() { model_.begin_cold_load(now()); }

void RealTimeDriver::deliver(const std::vector<StepEvent>& events) {
  for (const StepEvent& e : events) {
    const auto it = active_.find(e.id);
    if (it == active_.end()) continue;
    RequestState& state = *it->second;
    state.produced = e.token_index + 1;
    state.cached_tokens = e.cached_tokens;
    if (e.finished) state.finished = true;
    state.notify();
    if (e.finished) active_.erase(it);
  }
}

asio::awaitable<void> RealTimeDriver::loop() {
  std::vector<StepEvent> events;
  while (!stopping_) {
    const auto step = model_.begin_step(now());
    if (!step) {
      idle_.expires_at(asio::steady_timer::time_point::max());
      co_await idle_.async_wait(net::use_nothrow);
      continue;
    }
    const auto wall = to_wall(core::Duration(static_cast<std::int64_t>(static_cast<double>(step->count()) * slow_factor_)));
    if (wall > core::Duration::zero()) {
      step_timer_.expires_after(wall);
      co_await step_timer_.async_wait(net::use_nothrow);
    } else {
      // Zero-time steps (the `instant` profile): let I/O run between steps.
      co_await asio::post(ex_, asio::use_awaitable);
    }
    if (stopping_) break;
    events.clear();
    model_.finish_step(now(), events);
    deliver(events);
  }
}

}  // namespace sluice::engine
