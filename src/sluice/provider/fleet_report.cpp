// The fleet controller's reports: GET /admin/fleet and the sluice_fleet_*
// metrics (fleet_controller.h).
#include "sluice/provider/fleet_controller.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <map>

#include "sluice/provider/unix_ms.h"
#include "sluice/obs/histogram.h"

namespace sluice::provider {

using fleet::InstanceState;
using fleet::Role;
using Json = nlohmann::json;

namespace {

Json time_or_null(const std::optional<core::TimePoint>& t) { return t ? Json(unix_ms(*t)) : Json(nullptr); }

}  // namespace

nlohmann::json failover_json(const fleet::Failover& f) {
  return {{"seq", f.seq},
          {"model", f.model},
          {"instance", f.instance},
          {"cause", f.cause},
          {"zone", f.zone},
          {"onset_ms", time_or_null(f.onset)},
          {"detected_at_ms", unix_ms(f.detected)},
          {"replacement", f.replacement.empty() ? Json(nullptr) : Json(f.replacement)},
          {"promoted_from", f.promoted_from.empty() ? Json(nullptr) : Json(f.promoted_from)},
          {"recovered_at_ms", time_or_null(f.recovered)},
          {"restored_at_ms", time_or_null(f.restored)}};
}

namespace {

}  // namespace

std::string FleetController::json() const {
  std::lock_guard lock(mu_);
  const auto now = core::steady_now();
  // Failures in a row and when the next start may happen (crash-loop backoff).
  const auto crash_loop_json = [&](const std::string& model) {
    const auto after = crash_backoff_.start_after(model);
    const auto wait = after > now ? std::chrono::duration_cast<std::chrono::milliseconds>(after - now).count() : 0;
    return Json{{"failures_in_a_row", crash_backoff_.failures(model, now)}, {"next_start_in_ms", wait}};
  };
  Json instances = Json::array();
  for (const auto& r : records_) {
    Json gpus = Json::array();
    for (std::size_t g : r->gpus) gpus.push_back(desired_.inventory[g].id);
    instances.push_back({{"id", r->id},
                         {"model", desired_.models[r->model].name},
                         {"state", fleet::to_string(r->life.state())},
                         {"temperature", fleet::to_string(r->life.temperature())},
                         {"role", fleet::to_string(r->role)},
                         {"busy", r->busy},
                         {"node", node_of(*r)},
                         {"zone", zone_of(*r)},
                         {"gpus", gpus},
                         {"port", r->route ? Json(r->route->port) : Json(nullptr)},
                         {"pid", r->pid > 0 ? Json(r->pid) : Json(nullptr)},
                         {"since_ms", unix_ms(r->life.since())}});
  }
  const fleet::Observed o = const_cast<FleetController*>(this)->observe(core::steady_now());
  Json models = Json::array();
  for (std::size_t m = 0; m < desired_.models.size(); ++m) {
    const fleet::ModelPolicy& p = desired_.models[m];
    if (!fleet::managed(config_.models[m])) continue;
    const config::StandbyCounts have = fleet::standby_counts(o, m);
    const auto& want = p.standby;
    models.push_back({{"name", p.name},
                      {"priority", config::to_string(p.priority)},
                      {"serving", fleet::serving_count(o, m)},
                      {"hot_min", p.hot_min},
                      {"hot_max", std::max(p.hot_max, p.hot_min)},
                      {"standby", {{"hot", have.hot}, {"warm", have.warm}, {"cold", have.cold}}},
                      {"standby_policy", {{"hot", want.hot}, {"warm", want.warm}, {"cold", want.cold}}},
                      {"settled", fleet::settled(desired_, o, m)},
                      {"crash_loop", crash_loop_json(p.name)}});
  }
  Json failovers = Json::array();
  for (const fleet::Failover& f : log_.records()) failovers.push_back(failover_json(f));
  Json gpus = Json::array();
  const auto views = fleet::gpu_views(desired_, o);
  for (const auto& g : views) {
    gpus.push_back({{"id", g.id}, {"node", g.node}, {"zone", g.zone}, {"memory_gb", g.memory_gb},
                    {"used_gb", g.awake_gb}, {"reserved_gb", g.asleep_gb}, {"down", g.down}});
  }
  Json out = {{"instances", instances}, {"models", models}, {"gpus", gpus}, {"failovers", failovers},
              {"down_nodes", down_nodes_}, {"down_zones", down_zones_}, {"unplaced", unplaced_}};
  return out.dump();
}

void FleetController::render_metrics(std::string& out) const {
  std::lock_guard lock(mu_);
  const fleet::Observed o = const_cast<FleetController*>(this)->observe(core::steady_now());
  obs::render_header(out, "sluice_fleet_instances", "gauge", "Fleet instances by model, state, temperature and role.");
  std::map<std::string, int> by;
  for (const auto& r : records_) {
    ++by[fmt::format("model=\"{}\",state=\"{}\",temperature=\"{}\",role=\"{}\"", desired_.models[r->model].name,
                     fleet::to_string(r->life.state()), fleet::to_string(r->life.temperature()),
                     fleet::to_string(r->role))];
  }
  for (const auto& [labels, n] : by) out += fmt::format("sluice_fleet_instances{{{}}} {}\n", labels, n);

  obs::render_header(out, "sluice_fleet_gpu_memory_used_gb", "gauge", "GPU memory of awake instances, per GPU.");
  const auto views = fleet::gpu_views(desired_, o);
  for (const auto& g : views) {
    out += fmt::format("sluice_fleet_gpu_memory_used_gb{{gpu=\"{}\",node=\"{}\",zone=\"{}\"}} {}\n", g.id, g.node,
                       g.zone, g.awake_gb);
  }
  obs::render_header(out, "sluice_fleet_gpu_memory_reserved_gb", "gauge",
                     "GPU memory promised to asleep (warm) instances, per GPU.");
  for (const auto& g : views) {
    out += fmt::format("sluice_fleet_gpu_memory_reserved_gb{{gpu=\"{}\",node=\"{}\",zone=\"{}\"}} {}\n", g.id,
                       g.node, g.zone, g.asleep_gb);
  }
  obs::render_header(out, "sluice_fleet_gpu_memory_total_gb", "gauge", "Physical memory per GPU.");
  for (const auto& g : views) {
    out += fmt::format("sluice_fleet_gpu_memory_total_gb{{gpu=\"{}\",node=\"{}\",zone=\"{}\"}} {}\n", g.id, g.node,
                       g.zone, g.memory_gb);
  }

  obs::render_header(out, "sluice_fleet_standby", "gauge", "Standby instances by model and temperature.");
  obs::render_header(out, "sluice_fleet_standby_policy", "gauge", "Standby instances the policy asks for.");
  for (std::size_t m = 0; m < desired_.models.size(); ++m) {
    if (!fleet::managed(config_.models[m])) continue;
    const auto have = fleet::standby_counts(o, m);
    const auto& want = desired_.models[m].standby;
    const std::string& name = desired_.models[m].name;
    for (auto [t, h, w] : {std::tuple{"hot", have.hot, want.hot}, {"warm", have.warm, want.warm},
                           {"cold", have.cold, want.cold}}) {
      out += fmt::format("sluice_fleet_standby{{model=\"{}\",temperature=\"{}\"}} {}\n", name, t, h);
      out += fmt::format("sluice_fleet_standby_policy{{model=\"{}\",temperature=\"{}\"}} {}\n", name, t, w);
    }
  }

  obs::render_header(out, "sluice_fleet_serving_policy", "gauge",
                     "Serving instances the model keeps at least (its minimum; demand may add more).");
  obs::render_header(out, "sluice_fleet_rto_target_seconds", "gauge",
                     "The model's recovery time objective (recovery.rto), for models that set one.");
  for (std::size_t m = 0; m < desired_.models.size(); ++m) {
    if (!fleet::managed(config_.models[m])) continue;
    const std::string& name = desired_.models[m].name;
    out += fmt::format("sluice_fleet_serving_policy{{model=\"{}\"}} {}\n", name, config_.models[m].serving_minimum());
    const core::Duration rto = config_.models[m].recovery.rto;
    if (rto > core::Duration::zero()) {
      out += fmt::format("sluice_fleet_rto_target_seconds{{model=\"{}\"}} {}\n", name,
                         std::chrono::duration<double>(rto).count());
    }
  }

  obs::render_header(out, "sluice_fleet_failovers_total", "counter", "Failovers (an instance in rotation failed), by cause.");
  for (const auto& [key, n] : failovers_by_cause_) {
    const auto sep = key.find('\x1f');
    out += fmt::format("sluice_fleet_failovers_total{{model=\"{}\",cause=\"{}\"}} {}\n", key.substr(0, sep),
                       key.substr(sep + 1), n);
  }
  obs::render_header(out, "sluice_fleet_last_detection_seconds", "gauge",
                     "Last failover of the model: fault onset to detection (injected faults only).");
  obs::render_header(out, "sluice_fleet_last_recovery_seconds", "gauge",
                     "Last failover of the model: detection to the replacement's first successful response.");
  obs::render_header(out, "sluice_fleet_last_restore_seconds", "gauge",
                     "Last failover of the model: detection to standbys back at policy.");
  obs::render_header(out, "sluice_fleet_last_recovered_timestamp_seconds", "gauge",
                     "Last failover of the model: when its replacement first served (Unix time), so alerts can "
                     "tell a recent failover from an old one.");
  for (std::size_t m = 0; m < desired_.models.size(); ++m) {
    const fleet::Failover* f = log_.last_recovered(desired_.models[m].name);
    if (!f) continue;
    const auto secs = [](core::Duration d) { return std::chrono::duration<double>(d).count(); };
    if (f->onset) {
      out += fmt::format("sluice_fleet_last_detection_seconds{{model=\"{}\"}} {}\n", f->model, secs(f->detected - *f->onset));
    }
    out += fmt::format("sluice_fleet_last_recovery_seconds{{model=\"{}\"}} {}\n", f->model, secs(*f->recovered - f->detected));
    out += fmt::format("sluice_fleet_last_recovered_timestamp_seconds{{model=\"{}\"}} {:.3f}\n", f->model,
                       static_cast<double>(unix_ms(*f->recovered)) / 1000.0);
    if (f->restored) {
      out += fmt::format("sluice_fleet_last_restore_seconds{{model=\"{}\"}} {}\n", f->model, secs(*f->restored - f->detected));
    }
  }
  obs::render_header(out, "sluice_fleet_actions_total", "counter", "Reconcile actions carried out, by kind.");
  for (const auto& [kind, n] : actions_by_kind_) out += fmt::format("sluice_fleet_actions_total{{action=\"{}\"}} {}\n", kind, n);
  obs::render_header(out, "sluice_fleet_crash_loop_failures", "gauge",
                     "Failures in a row of the model's instances (crash-loop backoff holds starts beyond a few).");
  for (std::size_t m = 0; m < desired_.models.size(); ++m) {
    if (!fleet::managed(config_.models[m])) continue;
    const std::string& name = desired_.models[m].name;
    out += fmt::format("sluice_fleet_crash_loop_failures{{model=\"{}\"}} {}\n", name,
                       crash_backoff_.failures(name, core::steady_now()));
  }
  obs::render_header(out, "sluice_fleet_unplaced", "gauge", "Instances the policies ask for that cannot be placed now.");
  out += fmt::format("sluice_fleet_unplaced {}\n", unplaced_.size());
}

void FleetController::report_failovers() {
  if (!hooks_.failover_changed) return;
  struct Changed {
    std::string id, model, json;
    std::int64_t detected_ms;
  };
  std::vector<Changed> changed;
  {
    std::lock_guard lock(mu_);
    std::map<std::uint64_t, std::string> seen;
    const auto count = [](const std::optional<core::TimePoint>& t) { return t ? t->time_since_epoch().count() : 0; };
    for (const fleet::Failover& f : log_.records()) {
      // What may change in a record, on the steady clock (its JSON's unix
      // times are recomputed each call and would differ by a millisecond).
      std::string sig = fmt::format("{}|{}|{}|{}", f.replacement, f.promoted_from, count(f.recovered), count(f.restored));
      auto it = reported_failovers_.find(f.seq);
      if (it == reported_failovers_.end() || it->second != sig)
        changed.push_back({fmt::format("{}-{}", run_id_, f.seq), f.model, failover_json(f).dump(), unix_ms(f.detected)});
      seen.emplace(f.seq, std::move(sig));
    }
    reported_failovers_ = std::move(seen);  // records the log dropped are forgotten here too
  }
  for (auto& c : changed) hooks_.failover_changed(std::move(c.id), std::move(c.model), c.detected_ms, std::move(c.json));
}

}  // namespace sluice::provider
