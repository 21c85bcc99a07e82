#pragma once
/// A per-connection deadline that is cheap to move. Moving an Asio timer for
/// every request re-arms the reactor's timerfd (one syscall each time the
/// earliest deadline changes; ~1.1 per request under load). Here one timer
/// stays armed; `set()` and `clear()` only store a time point, and when the
/// timer fires it either runs the action (deadline passed) or re-arms itself
/// at the current deadline. A deadline set earlier than the armed one re-arms
/// at once.
/// Thread-safety: use from the owning executor only.
#include <functional>
#include <memory>

#include "sluice/net/asio.h"

namespace sluice::net {

class LazyDeadline {
 public:
  explicit LazyDeadline(asio::any_io_executor executor);
  ~LazyDeadline();
  LazyDeadline(const LazyDeadline&) = delete;
  LazyDeadline& operator=(const LazyDeadline&) = delete;

  /// Runs `on_expired` once if `deadline` passes before clear() or the next set().
  void set(std::chrono::steady_clock::time_point deadline, std::function<void()> on_expired);
  void clear();

 private:
  struct State {
    explicit State(asio::any_io_executor ex) : timer(std::move(ex)) {}
    asio::steady_timer timer;
    std::chrono::steady_clock::time_point deadline{};
    std::chrono::steady_clock::time_point armed_at{};
    std::function<void()> on_expired;
    bool active = false;
    bool armed = false;
    bool closed = false;
  };
  static void arm(const std::shared_ptr<State>& state, std::chrono::steady_clock::time_point at);
  std::shared_ptr<State> state_;
};

}  // namespace sluice::net
