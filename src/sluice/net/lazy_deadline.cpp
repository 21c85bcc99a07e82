#include "sluice/net/lazy_deadline.h"

namespace sluice::net {

LazyDeadline::LazyDeadline(asio::any_io_executor executor) : state_(std::make_shared<State>(std::move(executor))) {}

LazyDeadline::~LazyDeadline() {
  state_->closed = true;
  state_->on_expired = nullptr;
  state_->timer.cancel();
}

void LazyDeadline::arm(const std::shared_ptr<State>& state, std::chrono::steady_clock::time_point at) {
  state->armed = true;
  state->armed_at = at;
  state->timer.expires_at(at);
  state->timer.async_wait([state](const error_code& ec) {
    if (state->closed) return;
    if (ec) return;  // re-armed earlier: a newer wait is pending
    state->armed = false;
    if (!state->active) return;  // the next set() arms again
    if (std::chrono::steady_clock::now() >= state->deadline) {
      state->active = false;
      auto action = std::move(state->on_expired);
      state->on_expired = nullptr;
      if (action) action();
    } else {
      arm(state, state->deadline);
    }
  });
}

void LazyDeadline::set(std::chrono::steady_clock::time_point deadline, std::function<void()> on_expired) {
  state_->deadline = deadline;
  state_->on_expired = std::move(on_expired);
  state_->active = true;
  if (!state_->armed || deadline < state_->armed_at) arm(state_, deadline);
}

void LazyDeadline::clear() {
  state_->active = false;
  state_->on_expired = nullptr;
}

}  // namespace sluice::net
