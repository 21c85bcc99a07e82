#pragma once
/// Which instance, node or zone a scenario fails, and the steps that do it:
/// requests to `POST /admin/fleet/faults`, or signals the drill sends to the
/// engines' processes itself (kill, freeze, node_kill: pids from the fleet
/// report). The victim is the first serving (hot) instance of the model by
/// id, so a drill repeats; node and zone scenarios take the node or zone
/// holding most of the model's serving instances (ties: the victim's).
/// Pure: the runner sends the requests and the signals.
#include <expected>
#include <string>
#include <string_view>
#include <vector>

#include "sluice/drill/fleet_view.h"
#include "sluice/drill/scenario.h"

namespace sluice::drill {

/// An engine process to signal, as the fleet report gave it.
struct ProcessTarget {
  std::string instance;  // "m/0"
  int pid = 0;
  int port = 0;  // the instance's port: its command line names it (see command_line_names_port)
  bool operator==(const ProcessTarget&) const = default;
};

struct FaultStep {
  /// JSON for POST /admin/fleet/faults; empty for a signal step.
  std::string body;
  /// A signal step: `signal` sent to each of `processes` with kill(2).
  int signal = 0;
  std::vector<ProcessTarget> processes;
  std::string description;  // "crash llama-3.1-8b-instruct/0", "SIGKILL llama-3.1-8b-instruct/0 (pid 4242)"

  bool is_signal() const { return signal != 0; }
};

struct FaultPlan {
  /// Sent in order; the recovery clock starts at the last one (corrupt_model
  /// first marks the model's next cold load as failing, then crashes a
  /// serving instance so that the fleet has to load one).
  std::vector<FaultStep> steps;
  std::string victim;  // the serving instance aimed at
  std::string target;  // "llama-3.1-8b-instruct/0", "node a1", "zone zone-a"
  /// Sent once the watch is over, before the faults are cleared: freeze
  /// continues the frozen process (SIGCONT), so that one the gateway killed
  /// meanwhile can exit and one it did not runs again.
  std::vector<FaultStep> after;
};

/// The plan, or why there is none ("model m has no serving instance",
/// "instance m/0 has no node in the fleet report").
std::expected<FaultPlan, std::string> plan_fault(Scenario scenario, const FleetView& fleet, std::string_view model);

/// "SIGKILL", "SIGSTOP", "SIGCONT", else "signal N".
std::string signal_name(int signal);

/// Whether a process's command line (/proc/PID/cmdline: arguments separated
/// by NUL bytes) names `port` as an argument or an argument's value
/// ("--port 4001", "--port=4001", "127.0.0.1:4001"): the drill's check that a
/// pid from the fleet report is that instance's engine on this host before it
/// signals it.
bool command_line_names_port(std::string_view cmdline, int port);

}  // namespace sluice::drill
