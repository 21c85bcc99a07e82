#include "sluice/drill/outcome.h"

#include <algorithm>

namespace sluice::drill {

namespace {

bool contains(std::span<const std::string> list, std::string_view item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

/// Distinct non-empty values, in order of appearance, joined by '+'.
std::string joined(const std::vector<std::string>& values) {
  std::vector<std::string> seen;
  for (const auto& v : values) {
    if (!v.empty() && !contains(seen, v)) seen.push_back(v);
  }
  std::string out;
  for (const auto& v : seen) out += (out.empty() ? "" : "+") + v;
  return out;
}

double seconds_since(std::int64_t from_ms, std::int64_t to_ms) { return static_cast<double>(to_ms - from_ms) / 1000.0; }

/// The latest of one timestamp over `failovers`; nullopt when any lacks it
/// or there are none.
template <typename Field>
std::optional<std::int64_t> latest(const std::vector<Failover>& failovers, Field field) {
  if (failovers.empty()) return std::nullopt;
  std::int64_t last = 0;
  for (const auto& f : failovers) {
    const std::optional<std::int64_t> at = field(f);
    if (!at) return std::nullopt;
    last = std::max(last, *at);
  }
  return last;
}

Verdict judge_sla(const ScenarioOutcome& o) {
  return o.recover_s && *o.recover_s < o.targets.sla_rto_s ? Verdict::kPass : Verdict::kMiss;
}

Verdict verdict(bool ok) { return ok ? Verdict::kPass : Verdict::kMiss; }

/// Fills our row-by-row verdicts and their combination.
void judge_ours(ScenarioOutcome& o) {
  const Targets& t = o.targets;
  if (t.our_rto_s) {
    o.our_rto = verdict(o.recover_s && (t.our_rto_inclusive ? *o.recover_s <= *t.our_rto_s : *o.recover_s < *t.our_rto_s));
  }
  if (t.no_client_errors) {
    o.our_requests = verdict(o.load.requests_failed == 0);
    o.our_streams = verdict(o.load.streams_broken == 0);
    o.our_tokens = verdict(o.load.tokens_lost == 0 && o.load.tokens_duplicated == 0);
  }
  o.ours = Verdict::kNotApplicable;
  for (const Verdict v : {o.our_rto, o.our_requests, o.our_streams, o.our_tokens}) {
    if (v == Verdict::kMiss) o.ours = Verdict::kMiss;
    if (v == Verdict::kPass && o.ours == Verdict::kNotApplicable) o.ours = Verdict::kPass;
  }
}

}  // namespace

TrackedFailovers track_failovers(const FleetView& before, const FleetView& after, std::int64_t baseline_seq,
                                 std::string_view model, std::span<const std::string> affected) {
  TrackedFailovers tracked;
  for (const auto& f : after.failovers) {
    if (f.seq <= baseline_seq || f.model != model) continue;
    const FleetInstance* was = before.instance(f.instance);
    const bool was_serving = was != nullptr && was->role == "serving" && was->state == "hot";
    (was_serving ? tracked.serving : tracked.other).push_back(f);
  }
  for (const auto& id : affected) {
    const FleetInstance* was = before.instance(id);
    if (was == nullptr || was->model != model || was->role != "serving") continue;
    const bool logged = std::any_of(tracked.serving.begin(), tracked.serving.end(),
                                    [&id](const Failover& f) { return f.instance == id; });
    if (!logged) tracked.undetected.push_back(id);
  }
  return tracked;
}

InstanceWatch::InstanceWatch(const FleetView& before, std::string model, std::vector<std::string> affected)
    : model_(std::move(model)), affected_(std::move(affected)) {
  for (const auto& i : before.instances) {
    if (i.model == model_) seen_[i.id] = {i.state, i.state == "hot" || i.state == "warm"};
  }
  // Failed before the fault: not this fault's doing.
  for (const auto& [id, seen] : seen_) {
    if (seen.state == "failed") failed_before_.push_back(id);
  }
}

void InstanceWatch::observe(const FleetView& view) {
  const auto note = [this](const std::string& id) {
    if (!contains(affected_, id) && !contains(failed_, id) && !contains(failed_before_, id)) failed_.push_back(id);
  };
  for (const auto& i : view.instances) {
    if (i.model != model_) continue;
    Seen& seen = seen_[i.id];
    seen.state = i.state;
    seen.came_up = seen.came_up || i.state == "hot" || i.state == "warm";
    if (i.state == "failed") note(i.id);
  }
  for (const auto& [id, seen] : seen_) {
    const bool gone = view.instance(id) == nullptr;
    if (gone && !seen.came_up && (seen.state == "starting" || seen.state == "loading")) note(id);
  }
}

bool recovery_complete(const TrackedFailovers& tracked) {
  if (!tracked.undetected.empty() || tracked.serving.empty()) return false;
  const auto done = [](const Failover& f) { return f.recovered_at_ms && f.restored_at_ms; };
  const auto restored = [](const Failover& f) { return f.restored_at_ms.has_value(); };
  return std::all_of(tracked.serving.begin(), tracked.serving.end(), done) &&
         std::all_of(tracked.other.begin(), tracked.other.end(), restored);
}

std::string_view verdict_name(Verdict verdict) {
  switch (verdict) {
    case Verdict::kPass: return "PASS";
    case Verdict::kMiss: return "MISS";
    case Verdict::kNotApplicable: return "—";
  }
  return "—";
}

ScenarioOutcome evaluate(const Measurement& m) {
  ScenarioOutcome o;
  o.scenario = m.scenario;
  o.model = m.model;
  o.target = m.target;
  o.injected = m.injected;
  o.affected = m.affected;
  o.injected_at_ms = m.injected_at_ms;
  o.load = m.load;

  const TrackedFailovers tracked =
      track_failovers(m.before, m.after, m.before.last_failover_seq(), m.model, m.affected);
  o.complete = recovery_complete(tracked);
  if (tracked.undetected.empty()) {
    if (auto at = latest(tracked.serving, [](const Failover& f) { return std::optional(f.detected_at_ms); })) {
      o.detect_s = seconds_since(m.injected_at_ms, *at);
    }
    if (auto at = latest(tracked.serving, [](const Failover& f) { return f.recovered_at_ms; })) {
      o.recover_s = seconds_since(m.injected_at_ms, *at);
    }
    std::vector<Failover> all = tracked.serving;
    all.insert(all.end(), tracked.other.begin(), tracked.other.end());
    if (auto at = latest(all, [](const Failover& f) { return f.restored_at_ms; })) {
      o.restore_s = seconds_since(m.injected_at_ms, *at);
    }
  }
  std::vector<std::string> promoted;
  std::vector<std::string> causes;
  for (const auto& f : tracked.serving) promoted.push_back(f.promoted_from);
  for (const auto& list : {tracked.serving, tracked.other}) {
    for (const auto& f : list) causes.push_back(f.cause);
  }
  for (const auto& f : tracked.other) {
    if (f.cause != "load_failed") continue;
    ++o.load_failures;
    const double at = seconds_since(m.injected_at_ms, f.detected_at_ms);
    if (!o.load_failure_s || at < *o.load_failure_s) o.load_failure_s = at;
  }
  o.also_failed = m.also_failed;
  o.promoted_from = joined(promoted);
  o.causes = joined(causes);

  o.targets = targets_for(m.scenario, surviving_standby(m.before, m.model, m.affected), m.wake_s);
  o.sla = judge_sla(o);
  judge_ours(o);
  return o;
}

ScenarioOutcome failed_to_run(Scenario scenario, std::string model, std::string error) {
  ScenarioOutcome o;
  o.scenario = scenario;
  o.model = std::move(model);
  o.error = std::move(error);
  o.targets.sla_rto_s = sla_rto_s(scenario);
  return o;
}

}  // namespace sluice::drill
