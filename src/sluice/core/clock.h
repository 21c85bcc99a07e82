#pragma once
/// Time for every decision in sluice. Pure code (sched/, balance/, health/,
/// tenancy/, fleet/, engine timing) never reads the wall clock: it is handed a
/// Clock, or a `TimePoint now` argument, so tests and the simulator can drive it.
#include <chrono>

namespace sluice::core {

using Duration = std::chrono::nanoseconds;
/// Monotonic time. In the live gateway it is steady_clock; in tests and the
/// simulator it is whatever the driver says.
using TimePoint = std::chrono::time_point<std::chrono::steady_clock, Duration>;

/// The monotonic clock's now as a TimePoint: the I/O shell's one way to read
/// it (pure code is handed time instead).
inline TimePoint steady_now() {
  return std::chrono::time_point_cast<Duration>(std::chrono::steady_clock::now());
}

/// Source of "now". Thread-safety: implementations must be safe to call from
/// any thread.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimePoint now() const = 0;
};

/// The real monotonic clock.
class SteadyClock final : public Clock {
 public:
  TimePoint now() const override { return steady_now(); }
};

/// A clock that moves only when told to. Not thread-safe: for tests and the
/// single-threaded simulator.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(TimePoint start = TimePoint{}) : now_(start) {}
  TimePoint now() const override { return now_; }
  void advance(Duration d) { now_ += d; }
  void set(TimePoint t) { now_ = t; }

 private:
  TimePoint now_;
};

/// Seconds as a double, for reports and metrics.
inline double to_seconds(Duration d) { return std::chrono::duration<double>(d).count(); }
inline Duration from_seconds(double s) {
  return std::chrono::duration_cast<Duration>(std::chrono::duration<double>(s));
}

}  // namespace sluice::core
