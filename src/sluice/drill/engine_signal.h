#pragma once
/// Sends a fault plan's signal steps (fault_plan.h) to engine processes on
/// this host with kill(2): the drill's faults from outside the gateway.
/// Before a first signal it checks that the pid is the instance's engine
/// (its command line names the instance's port) and remembers the process's
/// start time; a later signal to the same pid (freeze's SIGCONT) goes only
/// to that same process, never to one that reused its pid.
#include <cstdint>
#include <expected>
#include <map>
#include <string>
#include <vector>

#include "sluice/drill/fault_plan.h"

namespace sluice::drill {

class EngineSignals {
 public:
  /// Checks every process of the step, then signals each; the Unix epoch
  /// ms (this host's clock, the gateway's too) just before the first
  /// signal. An error names the pid and why (not on this host, not that
  /// instance's engine, kill(2) refused); nothing is sent then.
  std::expected<std::int64_t, std::string> send(const FaultStep& step);

  /// A step after the watch: signals each process that is still the one
  /// `send` signalled; one line per process saying what happened ("SIGCONT
  /// m/0 (pid 4242)", "m/0 (pid 4242) has exited").
  std::vector<std::string> send_after(const FaultStep& step);

 private:
  std::map<int, std::string> start_times_;  // pid → /proc/PID/stat start time, at the first signal
};

}  // namespace sluice::drill
