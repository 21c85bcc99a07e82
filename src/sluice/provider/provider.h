#pragma once
/// What the fleet controller needs from a provider: run one engine instance
/// on given GPUs, stop or kill it, and report its exit. That is all: health
/// checks, sleep and wake go through the engine's own HTTP API (vLLM's
/// /health, /sleep, /wake_up), which the controller calls itself — so a
/// Kubernetes provider (a Deployment per instance through the API server)
/// implements these four calls and nothing in the controller changes.
///
/// Implementations: ProcessProvider (local child processes: `sim` runs
/// `sluice engine-sim`, a command template runs e.g. vLLM). Static
/// endpoints are not launched at all (provider/routing_builder.h).
#include <sys/types.h>

#include <expected>
#include <string>
#include <vector>

#include "sluice/config/config.h"
#include "sluice/core/clock.h"

namespace sluice::provider {

struct LaunchSpec {
  std::string instance_id;         // "m/3"
  config::Model model;             // its settings (sim profile, speed-up, …)
  int ordinal = 0;                 // the instance's number within the model (seeds)
  std::string node;
  std::string zone;
  std::vector<std::string> gpu_ids;  // "a1/gpu0", …
  std::vector<int> gpu_indices;      // on the node: CUDA_VISIBLE_DEVICES
  /// Take the full cold-load time (the engine's weights come from disk).
  /// Off for the fleet sluice starts with, which is taken as already loaded
  /// so that `sluice serve` is ready in seconds; on for every later start.
  bool simulate_load = true;
  /// The weights are corrupt: the load fails (drills).
  bool fail_load = false;
};

/// Where a launched instance listens. It may still be loading: the
/// controller waits for its /health.
struct Launched {
  std::string host;
  std::uint16_t port = 0;
  pid_t pid = -1;  // -1 when not a local process
};

struct Exit {
  std::string instance_id;
  std::string description;  // "exited with status 3", "was killed by signal 9 (Killed)"
};

class Provider {
 public:
  virtual ~Provider() = default;
  virtual std::expected<Launched, std::string> launch(const LaunchSpec& spec) = 0;
  /// Asks the instance to stop (SIGTERM); kill() follows if it has not after `grace`.
  virtual void stop(const std::string& instance_id) = 0;
  /// Ends it at once (a failed instance; drills).
  virtual void kill(const std::string& instance_id) = 0;
  /// The instances that exited since the last call. Called when SIGCHLD
  /// arrives, so an exit is seen at once.
  virtual std::vector<Exit> reap() = 0;
  /// Stops everything: SIGTERM, up to `grace`, then SIGKILL.
  virtual void stop_all(core::Duration grace) = 0;
  /// Takes over an instance another gateway replica launched (it was the
  /// fleet leader and is gone): from now on stop(), kill() and reap() cover
  /// it. False when it cannot be adopted (not running at `where`).
  virtual bool adopt(const std::string& instance_id, const Launched& where) {
    (void)instance_id;
    (void)where;
    return false;
  }
};

}  // namespace sluice::provider
