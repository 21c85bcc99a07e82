#pragma once
/// A scenario's result: which failovers the fault caused (read from the
/// fleet's failover log), the times from injection to detection, recovery
/// (first success on the replacement) and restoration (standbys back at
/// policy), what the load saw, and PASS/MISS against each target. Pure.
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "sluice/drill/answer_check.h"
#include "sluice/drill/fleet_view.h"
#include "sluice/drill/scenario.h"
#include "sluice/drill/targets.h"

namespace sluice::drill {

/// The failovers a fault caused for one model: every one logged after
/// `baseline_seq` (the fleet is the drill's alone, so later failures are the
/// fault's doing, directly or by escalation, e.g. a node failure the
/// controller escalates to its zone), split by what the failed instance was.
struct TrackedFailovers {
  /// Instances that were serving: each must recover and be restored.
  std::vector<Failover> serving;
  /// Others (a standby, a failed load): restored only, nothing was served by them.
  std::vector<Failover> other;
  /// Affected serving instances with no failover logged yet.
  std::vector<std::string> undetected;
};

TrackedFailovers track_failovers(const FleetView& before, const FleetView& after, std::int64_t baseline_seq,
                                 std::string_view model, std::span<const std::string> affected);

/// Watches the model's other instances while it recovers, for failures that
/// open no failover (a standby's start or cold load that failed): an
/// instance the fault did not take down that is seen `failed`, or seen
/// starting or loading and then gone without ever having come up.
class InstanceWatch {
 public:
  InstanceWatch(const FleetView& before, std::string model, std::vector<std::string> affected);
  /// Call with every fleet report read during the watch, in order.
  void observe(const FleetView& view);
  /// The failed instances, in the order they were noticed.
  const std::vector<std::string>& failed() const { return failed_; }

 private:
  struct Seen {
    std::string state;
    bool came_up = false;  // seen hot or warm
  };
  std::string model_;
  std::vector<std::string> affected_;
  std::map<std::string, Seen> seen_;
  std::vector<std::string> failed_before_;
  std::vector<std::string> failed_;
};

/// True once every affected serving instance has a failover with
/// recovered_at and restored_at, and every other tracked failover is restored.
bool recovery_complete(const TrackedFailovers& tracked);

enum class Verdict { kPass, kMiss, kNotApplicable };
/// "PASS", "MISS", "—".
std::string_view verdict_name(Verdict verdict);

/// What the drill measured around one injected fault.
struct Measurement {
  Scenario scenario = Scenario::kCrash;
  std::string model;
  std::string target;                 // what was failed: "m/0", "node a1", "zone zone-a"
  std::vector<std::string> injected;  // the fault's steps: "crash m/0", "SIGSTOP m/0 (pid 4242)"
  std::vector<std::string> affected;  // instances the fault took down (its answer, or the processes signalled)
  std::int64_t injected_at_ms = 0;    // when the last fault step was injected
  FleetView before;                   // the fleet just before the fault
  FleetView after;                    // the last fleet report read
  std::vector<std::string> also_failed;  // InstanceWatch::failed() over the watch
  LoadCounters load;
  double wake_s = 0;                  // the model's wake time in wall seconds
};

struct ScenarioOutcome {
  Scenario scenario = Scenario::kCrash;
  std::string model;
  std::string target;
  std::vector<std::string> injected;
  std::vector<std::string> affected;
  std::int64_t injected_at_ms = 0;
  /// Seconds after injection; with several instances down, the slowest.
  std::optional<double> detect_s;
  std::optional<double> recover_s;
  std::optional<double> restore_s;
  std::string promoted_from;  // "hot", "warm", "hot+cold"; "" when nothing was promoted
  std::string causes;         // "process_exit", "node_down+load_failed"
  std::int64_t load_failures = 0;
  /// Seconds from injection until the first failed load was detected.
  std::optional<double> load_failure_s;
  /// Other instances of the model that failed while it recovered.
  std::vector<std::string> also_failed;
  LoadCounters load;
  Targets targets;
  /// Recovery time against the source design's SLA.
  Verdict sla = Verdict::kMiss;
  /// Ours, row by row (kNotApplicable where the standby left sets no target).
  Verdict our_rto = Verdict::kNotApplicable;
  Verdict our_requests = Verdict::kNotApplicable;
  Verdict our_streams = Verdict::kNotApplicable;
  Verdict our_tokens = Verdict::kNotApplicable;
  /// All of ours together: MISS when any is, PASS when any passes.
  Verdict ours = Verdict::kNotApplicable;
  /// Recovery finished within the observation window.
  bool complete = false;
  /// The drill could not run the scenario (then only scenario, model and
  /// this are set).
  std::string error;

  bool passed() const { return error.empty() && sla != Verdict::kMiss && ours != Verdict::kMiss; }
};

ScenarioOutcome evaluate(const Measurement& m);

/// An outcome for a scenario the drill could not run.
ScenarioOutcome failed_to_run(Scenario scenario, std::string model, std::string error);

}  // namespace sluice::drill
