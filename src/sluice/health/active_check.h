#pragma once
/// Active health checking of one engine instance, as a pure state machine:
/// the prober (I/O, later) sends `GET path` every `interval` plus jitter,
/// counts an answer slower than `timeout` as a failure, and reports each
/// result here with the time it arrived. No clock is read and no random
/// number is drawn here: both are arguments, so tests are exact.
///
/// Defaults (Envoy's HealthCheck has no defaults for these: interval,
/// timeout and both thresholds are required fields there):
///   path                /health  vLLM, SGLang, llama.cpp server and sluice's
///                                engine simulator all answer it.
///   interval            2s       An engine with traffic is judged sooner by
///                                what its traffic does (outlier detection,
///                                the try watch: a stalled instance in about
///                                half a second); the active check is for
///                                idle instances, for engines whose only work
///                                is non-streamed, and for admitting new ones.
///                                One GET every 2s per instance costs nothing.
///   timeout             1.5s     Not less: an engine's HTTP server shares its
///                                event loop with tokenization and streaming,
///                                so /health can stall for a second under a
///                                prefill burst without anything being wrong.
///   unhealthy_threshold 2        With 2s + 1.5s it marks a frozen engine
///                                down in about 4–6s, where requests that
///                                nothing else judges may be waiting; two in
///                                a row, so one slow answer is not enough.
///                                Crashes (connect refused) are caught at
///                                once by the process exit or outlier
///                                detection.
///   healthy_threshold   2        A flapping instance must pass twice in a
///                                row to come back — but see "startup".
///   jitter_percent      10       Envoy's interval_jitter_percent: each wait
///                                is interval + up to 10% of it, so checks of
///                                instances started together drift apart.
///
/// Startup: an instance starts unhealthy and becomes healthy at its first
/// passing check, whatever healthy_threshold says (Envoy's rule too), so a
/// fresh instance joins as soon as it answers; healthy_threshold applies to
/// every later recovery.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "sluice/config/config.h"
#include "sluice/core/clock.h"

namespace sluice::health {

/// The checks' settings are the config's (one set of defaults, in
/// config.h; the table above says why). `enabled` is the caller's business.
/// unhealthy_threshold and healthy_threshold of 0 act as 1.
using ActiveCheckConfig = config::HealthCheckConfig;

enum class HealthTransition : std::uint8_t { kNone, kBecameHealthy, kBecameUnhealthy };

/// The active-check state of one instance. Not thread-safe: owned by the
/// prober that checks the instance (one strand), which publishes healthy()
/// to the data path (e.g. as an atomic flag on balance::Instance).
class ActiveCheckState {
 public:
  explicit ActiveCheckState(ActiveCheckConfig config = {});

  bool healthy() const { return healthy_; }
  /// Whether any check has passed yet.
  bool ever_passed() const { return ever_passed_; }
  std::uint32_t consecutive_passes() const { return passes_; }
  std::uint32_t consecutive_failures() const { return failures_; }
  /// When healthy() last changed; nullopt until it first does.
  std::optional<core::TimePoint> changed_at() const { return changed_at_; }
  const ActiveCheckConfig& config() const { return config_; }
  /// New settings (a config reload); the verdict and the counts stay.
  void set_config(ActiveCheckConfig config) { config_ = std::move(config); }

  /// Records one check's result (`ok` false for a timeout, a refused or
  /// reset connection, or a non-2xx answer) that arrived at `now`.
  HealthTransition on_result(bool ok, core::TimePoint now);

  /// When to send the first check of an instance added at `now`: within
  /// the jitter window (jitter_percent of interval), so instances added
  /// together are not probed in lockstep, yet a new one is not kept out for
  /// a whole interval. `uniform` is a draw from [0, 1).
  core::TimePoint first_check_at(core::TimePoint now, double uniform) const;
  /// When to send the next check after one that completed at `now`:
  /// now + interval + floor(uniform × jitter), where jitter = interval ×
  /// jitter_percent / 100 and `uniform` is a draw from [0, 1) (values
  /// outside it are clamped into it).
  core::TimePoint next_check_at(core::TimePoint now, double uniform) const;

 private:
  core::Duration jitter(double uniform) const;

  ActiveCheckConfig config_;
  bool healthy_ = false;
  bool ever_passed_ = false;
  std::uint32_t passes_ = 0;
  std::uint32_t failures_ = 0;
  std::optional<core::TimePoint> changed_at_;
};

}  // namespace sluice::health
