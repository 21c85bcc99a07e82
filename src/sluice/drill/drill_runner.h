#pragma once
/// Runs drill scenarios against a live gateway, one after the other:
///   1. wait until the model is settled (serving at its minimum, standbys
///      at policy, nothing starting, loading or draining);
///   2. start the steady load and let it warm up;
///   3. inject the fault through the admin API, or with a signal to the
///      engine's process (fault_plan.h, engine_signal.h);
///   4. keep the load on while polling the fleet report until every failover
///      the fault caused has recovered and been restored, or the
///      observation window ends;
///   5. stop the load, continue a frozen engine (SIGCONT), clear the faults,
///      judge (outcome.h).
/// Blocking; sleeps only between polls.
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "sluice/drill/admin_client.h"
#include "sluice/drill/load_plan.h"
#include "sluice/drill/outcome.h"
#include "sluice/drill/scenario.h"

namespace sluice::drill {

struct DrillSettings {
  std::vector<Scenario> scenarios;
  /// The model and the load (LoadPlan::model is the model drilled).
  LoadPlan load;
  /// The model's wake time in wall seconds (profile wake_s ÷ speedup).
  double wake_s = 0;
  /// Load before the fault.
  double warmup_s = 1;
  /// How long to watch after the fault; default: the scenario's SLA + 10 s.
  std::optional<double> observe_s;
  /// How long to wait for the model to settle before a scenario.
  double settle_timeout_s = 180;
  std::chrono::milliseconds poll_interval{50};
};

/// One line of progress for people ("crash: injected crash m/0").
using ProgressLog = std::function<void(const std::string& line)>;

ScenarioOutcome run_scenario(const AdminClient& admin, const DrillSettings& settings, Scenario scenario,
                             const ProgressLog& log);

/// Every scenario of `settings`, in order.
std::vector<ScenarioOutcome> run_drill(const AdminClient& admin, const DrillSettings& settings, const ProgressLog& log);

}  // namespace sluice::drill
