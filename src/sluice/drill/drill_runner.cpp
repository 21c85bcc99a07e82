#include "sluice/drill/drill_runner.h"

#include <thread>

#include <fmt/format.h>

#include "sluice/drill/engine_signal.h"
#include "sluice/drill/fault_plan.h"
#include "sluice/drill/steady_load.h"

namespace sluice::drill {

namespace {

using Clock = std::chrono::steady_clock;

/// Watching goes on this long past the scenario's SLA by default, so that a
/// miss still reports how long recovery really took.
constexpr double kObserveBeyondSlaS = 10;

Clock::time_point after(double seconds) {
  return Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
}

/// "serving 1/2, standby hot 0/1 warm 1/1 cold 0/0".
std::string model_state(const FleetModel& m) {
  return fmt::format("serving {}/{}, standby hot {}/{} warm {}/{} cold {}/{}", m.serving, m.hot_min, m.standby.hot,
                     m.standby_policy.hot, m.standby.warm, m.standby_policy.warm, m.standby.cold,
                     m.standby_policy.cold);
}

/// The fleet once `model` is settled, or why not within the timeout.
std::expected<FleetView, std::string> wait_settled(const AdminClient& admin, const std::string& model,
                                                   const DrillSettings& settings) {
  const auto deadline = after(settings.settle_timeout_s);
  std::string last;
  for (;;) {
    auto view = admin.fleet();
    if (view) {
      const FleetModel* m = view->model(model);
      if (m == nullptr) return std::unexpected(fmt::format("the fleet report has no model {}", model));
      if (m->settled) return view;
      last = model_state(*m);
    } else {
      last = view.error();
      if (last.find("404") != std::string::npos) return std::unexpected(last);  // no fleet controller: waiting won't help
    }
    if (Clock::now() >= deadline) {
      return std::unexpected(
          fmt::format("model {} did not settle within {:g} s (last: {})", model, settings.settle_timeout_s, last));
    }
    std::this_thread::sleep_for(settings.poll_interval);
  }
}

/// Sends the plan's steps, admin requests and signals; the last injection
/// with the union of what they took down (a signal takes down the processes
/// it was sent to).
std::expected<InjectedFault, std::string> inject(const AdminClient& admin, EngineSignals& signals,
                                                 const FaultPlan& plan, const std::string& name,
                                                 const ProgressLog& log) {
  InjectedFault all;
  for (const FaultStep& step : plan.steps) {
    if (step.is_signal()) {
      auto at = signals.send(step);
      if (!at) return std::unexpected(at.error());
      all.injected_at_ms = *at;
      for (const auto& p : step.processes) all.affected.push_back(p.instance);
    } else {
      auto fault = admin.inject(step.body);
      if (!fault) return std::unexpected(fault.error());
      all.injected_at_ms = fault->injected_at_ms;
      all.affected.insert(all.affected.end(), fault->affected.begin(), fault->affected.end());
    }
    log(fmt::format("{}: injected {}", name, step.description));
  }
  return all;
}

/// The plan's steps after the watch (freeze's SIGCONT), then the admin
/// API's faults cleared.
void undo(const AdminClient& admin, EngineSignals& signals, const FaultPlan& plan, const std::string& name,
          const ProgressLog& log) {
  for (const FaultStep& step : plan.after) {
    for (const auto& line : signals.send_after(step)) log(fmt::format("{}: {}", name, line));
  }
  if (auto cleared = admin.clear_faults(); !cleared) log(fmt::format("{}: {}", name, cleared.error()));
}

struct Watched {
  FleetView last;                        // the last report read
  std::vector<std::string> also_failed;  // see InstanceWatch
};

/// Polls the fleet until recovery is complete or `deadline`.
Watched watch_recovery(const AdminClient& admin, const DrillSettings& settings, const FleetView& before,
                       const std::vector<std::string>& affected, Clock::time_point deadline) {
  const std::int64_t baseline = before.last_failover_seq();
  InstanceWatch others(before, settings.load.model, affected);
  Watched w{before, {}};
  while (Clock::now() < deadline) {
    if (auto view = admin.fleet()) {
      w.last = std::move(*view);
      others.observe(w.last);
      if (recovery_complete(track_failovers(before, w.last, baseline, settings.load.model, affected))) break;
    }
    std::this_thread::sleep_for(settings.poll_interval);
  }
  w.also_failed = others.failed();
  return w;
}

}  // namespace

ScenarioOutcome run_scenario(const AdminClient& admin, const DrillSettings& settings, Scenario scenario,
                             const ProgressLog& log) {
  const std::string& model = settings.load.model;
  const std::string name(scenario_name(scenario));
  log(fmt::format("{}: waiting for {} to settle", name, model));
  auto before = wait_settled(admin, model, settings);
  if (!before) return failed_to_run(scenario, model, before.error());
  auto plan = plan_fault(scenario, *before, model);
  if (!plan) return failed_to_run(scenario, model, plan.error());

  SteadyLoad load(settings.load);
  if (auto started = load.start(); !started) return failed_to_run(scenario, model, started.error());
  log(fmt::format("{}: load on ({:g} req/s, {:g} streamed), warming up {:g} s", name, settings.load.rate,
                  settings.load.stream_share, settings.warmup_s));
  std::this_thread::sleep_for(std::chrono::duration<double>(settings.warmup_s));
  // The fleet just before the fault (the warm-up may have changed nothing,
  // but read it again), and the plan on it: a signal goes to the pid it shows.
  if (auto fresh = admin.fleet()) {
    before = std::move(*fresh);
    if (auto again = plan_fault(scenario, *before, model)) plan = std::move(*again);
  }

  EngineSignals signals;
  auto injected = inject(admin, signals, *plan, name, log);
  if (!injected) {
    load.stop();
    undo(admin, signals, *plan, name, log);
    return failed_to_run(scenario, model, injected.error());
  }
  const double observe_s = settings.observe_s.value_or(sla_rto_s(scenario) + kObserveBeyondSlaS);
  Watched watched = watch_recovery(admin, settings, *before, injected->affected, after(observe_s));
  const LoadCounters counters = load.stop();
  undo(admin, signals, *plan, name, log);

  Measurement m;
  m.scenario = scenario;
  m.model = model;
  m.target = plan->target;
  for (const FaultStep& step : plan->steps) m.injected.push_back(step.description);
  m.affected = injected->affected;
  m.injected_at_ms = injected->injected_at_ms;
  m.before = std::move(*before);
  m.after = std::move(watched.last);
  m.also_failed = std::move(watched.also_failed);
  m.load = counters;
  m.wake_s = settings.wake_s;
  return evaluate(m);
}

std::vector<ScenarioOutcome> run_drill(const AdminClient& admin, const DrillSettings& settings, const ProgressLog& log) {
  std::vector<ScenarioOutcome> outcomes;
  for (const Scenario s : settings.scenarios) outcomes.push_back(run_scenario(admin, settings, s, log));
  return outcomes;
}

}  // namespace sluice::drill
