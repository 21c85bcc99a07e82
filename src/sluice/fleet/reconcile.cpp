#include "sluice/fleet/reconcile.h"

#include <fmt/format.h>

#include <algorithm>
#include <numeric>
#include <optional>
#include <set>

#include "sluice/core/duration_text.h"
#include "sluice/fleet/placement.h"

namespace sluice::fleet {

std::string_view to_string(Role role) { return role == Role::kServing ? "serving" : "standby"; }

std::string_view to_string(ActionKind kind) {
  switch (kind) {
    case ActionKind::kFail: return "fail";
    case ActionKind::kForget: return "forget";
    case ActionKind::kPromote: return "promote";
    case ActionKind::kWake: return "wake";
    case ActionKind::kStart: return "start";
    case ActionKind::kReserve: return "reserve";
    case ActionKind::kSleep: return "sleep";
    case ActionKind::kStop: return "stop";
  }
  return "?";
}

MemoryUse memory_use(InstanceState state) {
  switch (state) {
    case InstanceState::kStarting:
    case InstanceState::kLoading:
    case InstanceState::kHot:
    case InstanceState::kDraining: return MemoryUse::kAwake;
    case InstanceState::kWarm: return MemoryUse::kAsleep;
    default: return MemoryUse::kNone;
  }
}

namespace {

/// Where an instance is heading, counting actions under way and those
/// planned in this pass.
enum class Heading : std::uint8_t { kServing, kHotStandby, kWarmStandby, kColdStandby, kLeaving };

Heading heading_of(const InstanceView& i) {
  const bool standby = i.role == Role::kStandby;
  if (i.handing_over && i.state == InstanceState::kHot) return Heading::kHotStandby;
  switch (i.state) {
    case InstanceState::kStarting:
    case InstanceState::kLoading:
      if (!standby) return Heading::kServing;
      return i.sleep_when_loaded ? Heading::kWarmStandby : Heading::kHotStandby;
    case InstanceState::kHot:
      if (!standby) return Heading::kServing;
      return i.busy ? Heading::kWarmStandby : Heading::kHotStandby;  // a busy hot standby is going to sleep
    case InstanceState::kWarm:
      if (i.busy) return standby ? Heading::kLeaving : Heading::kServing;  // stopping, or waking
      return Heading::kWarmStandby;
    case InstanceState::kCold:
      return i.busy ? Heading::kServing : Heading::kColdStandby;
    case InstanceState::kDraining:
      return standby ? Heading::kWarmStandby : Heading::kLeaving;
    default:
      return Heading::kLeaving;
  }
}

/// The mutable state of one plan() call.
struct Work {
  const Desired& desired;
  const Observed& observed;
  core::TimePoint now;
  std::vector<GpuView> gpus;
  std::vector<bool> gone;      // per observed instance: failed or forgotten in this pass
  std::vector<bool> acted;     // per observed instance: has an action in this pass
  std::vector<Heading> heading;
  std::vector<int> lost_serving;  // per model: serving instances failed in this pass
  Plan out;
};

bool contains(const std::vector<std::string>& list, const std::string& item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

/// The failed node or zone under `gpus`, or "".
std::string down_place(const Work& w, const std::vector<std::size_t>& gpus) {
  for (std::size_t g : gpus) {
    if (g >= w.desired.inventory.size()) continue;
    const GpuSlot& slot = w.desired.inventory[g];
    if (contains(w.observed.down_zones, slot.zone)) return "zone " + slot.zone;
    if (contains(w.observed.down_nodes, slot.node)) return "node " + slot.node;
  }
  return {};
}

void add_memory(Work& w, std::size_t model, const std::vector<std::size_t>& gpus, MemoryUse use, bool replica) {
  const ModelPolicy& m = w.desired.models[model];
  for (std::size_t g : gpus) {
    if (g >= w.gpus.size()) continue;
    GpuView& v = w.gpus[g];
    if (use == MemoryUse::kAwake) v.awake_gb += m.gb_per_gpu;
    if (use == MemoryUse::kAsleep) {
      v.asleep_gb += m.gb_per_gpu;
      v.weights.push_back(m.name);
    }
    if (replica) v.replicas.push_back(m.name);
  }
}

void build_gpu_views(Work& w) {
  for (const GpuSlot& slot : w.desired.inventory) {
    GpuView v;
    v.id = slot.id;
    v.node = slot.node;
    v.zone = slot.zone;
    v.memory_gb = slot.memory_gb;
    v.down = contains(w.observed.down_nodes, slot.node) || contains(w.observed.down_zones, slot.zone);
    w.gpus.push_back(std::move(v));
  }
  for (std::size_t k = 0; k < w.observed.instances.size(); ++k) {
    const InstanceView& i = w.observed.instances[k];
    if (w.gone[k] || i.model >= w.desired.models.size()) continue;
    const MemoryUse use = memory_use(i.state);
    add_memory(w, i.model, i.gpus, use, /*replica=*/true);
    // A cold reservation keeps the weights on that node's disk.
    if (i.state == InstanceState::kCold) {
      for (std::size_t g : i.gpus) if (g < w.gpus.size()) w.gpus[g].weights.push_back(w.desired.models[i.model].name);
    }
  }
}

void emit(Work& w, Action action, std::optional<std::size_t> observed_index = std::nullopt) {
  if (observed_index) w.acted[*observed_index] = true;
  w.out.actions.push_back(std::move(action));
}

/// Pass 1: failures and ended instances.
void failures(Work& w) {
  for (std::size_t k = 0; k < w.observed.instances.size(); ++k) {
    const InstanceView& i = w.observed.instances[k];
    if (is_final(i.state)) {
      w.gone[k] = true;
      emit(w, {.kind = ActionKind::kForget, .model = i.model, .instance = i.id, .reason = "ended"}, k);
      continue;
    }
    if (const std::string where = down_place(w, i.gpus); !where.empty()) {
      w.gone[k] = true;
      const ActionKind kind = i.state == InstanceState::kCold ? ActionKind::kForget : ActionKind::kFail;
      emit(w, {.kind = kind, .model = i.model, .instance = i.id, .reason = where + " is down"}, k);
      continue;
    }
    if (i.state == InstanceState::kHot && i.role == Role::kServing && !i.healthy && !i.busy) {
      w.gone[k] = true;
      emit(w, {.kind = ActionKind::kFail, .model = i.model, .instance = i.id, .reason = "unhealthy"}, k);
    }
  }
  // What served before the failures of this pass, to be served again.
  for (std::size_t k = 0; k < w.observed.instances.size(); ++k) {
    const InstanceView& i = w.observed.instances[k];
    if (!w.gone[k] || i.role != Role::kServing || i.model >= w.lost_serving.size()) continue;
    const bool was_serving = i.state == InstanceState::kHot || i.state == InstanceState::kFailed;
    if (was_serving && i.served && !i.handing_over) ++w.lost_serving[i.model];
  }
}

/// Models in priority order, then config order.
std::vector<std::size_t> by_priority(const Desired& d) {
  std::vector<std::size_t> order(d.models.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return static_cast<int>(d.models[a].priority) < static_cast<int>(d.models[b].priority);
  });
  return order;
}

/// Observed instances of `model` (not gone, no action yet) heading to `h`.
std::vector<std::size_t> heading_to(const Work& w, std::size_t model, Heading h) {
  std::vector<std::size_t> out;
  for (std::size_t k = 0; k < w.observed.instances.size(); ++k) {
    const InstanceView& i = w.observed.instances[k];
    if (i.model == model && !w.gone[k] && w.heading[k] == h) out.push_back(k);
  }
  return out;
}

int count_heading(const Work& w, std::size_t model, Heading h) {
  return static_cast<int>(heading_to(w, model, h).size());
}

/// The zones to prefer for a role: serving instances in the preferred zones
/// that are up (the standby zone when all of them are down); standbys in the
/// standby zone when it is up.
std::vector<std::string> zones_for(const Work& w, const ModelPolicy& m, Role role) {
  const auto up = [&](const std::string& z) { return !contains(w.observed.down_zones, z); };
  if (role == Role::kStandby && !m.standby_zone.empty() && up(m.standby_zone)) return {m.standby_zone};
  std::vector<std::string> zones;
  for (const auto& z : m.preferred_zones) if (up(z)) zones.push_back(z);
  if (zones.empty() && !m.standby_zone.empty() && up(m.standby_zone)) zones.push_back(m.standby_zone);
  return zones;
}

/// GPUs and memory the dedicated models of `tenant` hold now (awake or asleep).
std::pair<int, double> tenant_use(const Work& w, const std::string& tenant) {
  int gpus = 0;
  double gb = 0;
  for (std::size_t k = 0; k < w.observed.instances.size(); ++k) {
    const InstanceView& i = w.observed.instances[k];
    if (w.gone[k] || i.model >= w.desired.models.size()) continue;
    const ModelPolicy& m = w.desired.models[i.model];
    if (m.tenant != tenant || memory_use(i.state) == MemoryUse::kNone) continue;
    gpus += static_cast<int>(i.gpus.size());
    gb += m.gb_per_gpu * static_cast<double>(i.gpus.size());
  }
  for (const Action& a : w.out.actions) {
    if (a.kind != ActionKind::kStart || a.model >= w.desired.models.size()) continue;
    const ModelPolicy& m = w.desired.models[a.model];
    if (m.tenant != tenant || !a.instance.empty()) continue;  // new starts only; existing cold ones are below
    gpus += static_cast<int>(a.gpus.size());
    gb += m.gb_per_gpu * static_cast<double>(a.gpus.size());
  }
  return {gpus, gb};
}

/// Why starting one more instance of `m` would break its tenant's GPU quota, or "".
std::string quota_refusal(const Work& w, const ModelPolicy& m) {
  if (m.tenant.empty()) return {};
  for (const TenantGpuQuota& q : w.desired.quotas) {
    if (q.tenant != m.tenant) continue;
    const auto [gpus, gb] = tenant_use(w, m.tenant);
    if (q.max_gpus > 0 && gpus + m.gpus > q.max_gpus) {
      return fmt::format("tenant {}'s GPU quota ({} GPUs) is used up ({} held)", m.tenant, q.max_gpus, gpus);
    }
    const double need = m.gb_per_gpu * m.gpus;
    if (q.max_memory_gb > 0 && gb + need > q.max_memory_gb + 1e-9) {
      return fmt::format("tenant {}'s GPU memory quota ({:.0f} GB) is used up ({:.0f} GB held)", m.tenant,
                         q.max_memory_gb, gb);
    }
  }
  return {};
}

/// Why model `mi` may not start an instance now (crash-loop backoff), or "".
std::string start_refusal(const Work& w, std::size_t mi) {
  if (mi < w.observed.start_after.size() && w.now < w.observed.start_after[mi]) {
    return "its instances keep failing (crash-loop backoff; GET /admin/fleet shows when it retries)";
  }
  return {};
}

/// A place for a new instance of model `mi`, or the reason (also reported).
std::optional<Placement> find_place(Work& w, std::size_t mi, Role role, std::string_view what) {
  const ModelPolicy& m = w.desired.models[mi];
  std::string why = start_refusal(w, mi);
  if (why.empty()) why = quota_refusal(w, m);
  if (why.empty()) {
    auto placed = place(w.gpus, {.model = m.name, .gb_per_gpu = m.gb_per_gpu, .gpus = m.gpus,
                                 .preferred_zones = zones_for(w, m, role)},
                        w.desired.overcommit);
    if (placed) return *placed;
    why = placed.error();
  }
  const std::string line = fmt::format("{}: cannot place {}: {}", m.name, what, why);
  if (!contains(w.out.unplaced, line)) w.out.unplaced.push_back(line);
  return std::nullopt;
}

/// The candidate among `ks` in a preferred zone, else the first.
std::size_t prefer_zone(const Work& w, const ModelPolicy& m, const std::vector<std::size_t>& ks) {
  const auto zones = zones_for(w, m, Role::kServing);
  for (std::size_t k : ks) {
    const auto& gpus = w.observed.instances[k].gpus;
    if (!gpus.empty() && gpus.front() < w.desired.inventory.size() &&
        contains(zones, w.desired.inventory[gpus.front()].zone)) {
      return k;
    }
  }
  return ks.front();
}

/// Healthy, idle-for-action candidates only.
std::vector<std::size_t> ready(const Work& w, std::vector<std::size_t> ks) {
  std::erase_if(ks, [&](std::size_t k) {
    const InstanceView& i = w.observed.instances[k];
    return i.busy || w.acted[k] || i.handing_over || (i.state == InstanceState::kHot && !i.healthy);
  });
  return ks;
}

/// Starts a new instance of `mi` in `role`; false when nothing fits.
bool start_new(Work& w, std::size_t mi, Role role, bool then_sleep, std::string reason, std::string_view what) {
  auto placed = find_place(w, mi, role, what);
  if (!placed) return false;
  add_memory(w, mi, placed->gpus, MemoryUse::kAwake, true);
  emit(w, {.kind = ActionKind::kStart, .model = mi, .role = role, .sleep_when_loaded = then_sleep,
           .gpus = placed->gpus, .reason = std::move(reason)});
  return true;
}

/// Brings one more instance of `mi` into service; false when it cannot.
bool add_serving(Work& w, std::size_t mi, const std::string& reason) {
  const ModelPolicy& m = w.desired.models[mi];
  if (auto hot = ready(w, heading_to(w, mi, Heading::kHotStandby)); !hot.empty()) {
    const std::size_t k = prefer_zone(w, m, hot);
    w.heading[k] = Heading::kServing;
    emit(w, {.kind = ActionKind::kPromote, .model = mi, .instance = w.observed.instances[k].id, .reason = reason}, k);
    return true;
  }
  if (auto warm = ready(w, heading_to(w, mi, Heading::kWarmStandby)); !warm.empty()) {
    std::erase_if(warm, [&](std::size_t k) { return w.observed.instances[k].state != InstanceState::kWarm; });
    if (!warm.empty()) {
      const std::size_t k = prefer_zone(w, m, warm);
      w.heading[k] = Heading::kServing;
      // Waking makes its asleep memory awake again.
      for (std::size_t g : w.observed.instances[k].gpus) {
        if (g < w.gpus.size()) {
          w.gpus[g].asleep_gb -= m.gb_per_gpu;
          w.gpus[g].awake_gb += m.gb_per_gpu;
        }
      }
      emit(w, {.kind = ActionKind::kWake, .model = mi, .instance = w.observed.instances[k].id, .reason = reason}, k);
      return true;
    }
  }
  if (auto cold = ready(w, heading_to(w, mi, Heading::kColdStandby)); !cold.empty()) {
    const std::size_t k = prefer_zone(w, m, cold);
    // Its reserved GPUs if they still fit, else a new place (the weights
    // there are preferred anyway).
    auto placed = find_place(w, mi, Role::kServing, "a serving instance");
    if (placed) {
      w.heading[k] = Heading::kServing;
      add_memory(w, mi, placed->gpus, MemoryUse::kAwake, false);
      emit(w, {.kind = ActionKind::kStart, .model = mi, .instance = w.observed.instances[k].id,
               .role = Role::kServing, .gpus = placed->gpus, .reason = reason}, k);
      return true;
    }
    return false;
  }
  return start_new(w, mi, Role::kServing, false, reason + " (no standby: cold start)",
                   "a serving instance");
}

/// The serving instances of `mi` that may go to sleep for being idle, oldest idle first.
std::vector<std::size_t> idle_serving(const Work& w, std::size_t mi) {
  const ModelPolicy& m = w.desired.models[mi];
  std::vector<std::size_t> out;
  if (m.idle_sleep <= core::Duration::zero()) return out;
  for (std::size_t k : heading_to(w, mi, Heading::kServing)) {
    const InstanceView& i = w.observed.instances[k];
    if (i.state != InstanceState::kHot || i.busy || w.acted[k] || i.in_flight > 0) continue;
    if (w.now - i.last_active >= m.idle_sleep) out.push_back(k);
  }
  std::stable_sort(out.begin(), out.end(), [&](std::size_t a, std::size_t b) {
    return w.observed.instances[a].last_active < w.observed.instances[b].last_active;
  });
  return out;
}

/// Pass 2a: the serving count.
void serve(Work& w, std::size_t mi) {
  const ModelPolicy& m = w.desired.models[mi];
  const int hot_max = std::max(m.hot_max, m.hot_min);
  const int serving = count_heading(w, mi, Heading::kServing);
  int target = std::clamp(serving, m.hot_min, hot_max);
  // A fault never leaves fewer serving than before it, capacity allowing.
  target = std::max(target, std::min(hot_max, serving + w.lost_serving[mi]));
  const std::int64_t queued = mi < w.observed.queued.size() ? w.observed.queued[mi] : 0;
  const bool all_in_service = std::ranges::all_of(heading_to(w, mi, Heading::kServing), [&](std::size_t k) {
    return w.observed.instances[k].state == InstanceState::kHot;
  });
  if (m.wake_queue_depth > 0 && queued >= m.wake_queue_depth && all_in_service && serving < hot_max) {
    target = serving + 1;
  }
  for (int n = serving; n < target; ++n) {
    const std::string reason = n < m.hot_min                  ? fmt::format("serving {} of at least {}", n, m.hot_min)
                               : n < serving + w.lost_serving[mi] ? fmt::format("serving {} of {} before a failure", n,
                                                                               serving + w.lost_serving[mi])
                                                                  : fmt::format("{} requests queued", queued);
    if (!add_serving(w, mi, reason)) break;
  }
  if (serving <= m.hot_min) return;
  int spare = serving - m.hot_min;
  for (std::size_t k : idle_serving(w, mi)) {
    if (spare-- <= 0) break;
    w.heading[k] = Heading::kWarmStandby;
    emit(w, {.kind = ActionKind::kSleep, .model = mi, .instance = w.observed.instances[k].id,
             .reason = fmt::format("idle for {} beyond the serving minimum",
                                   core::format_duration(m.idle_sleep))},
         k);
  }
}

bool in_zones(const Work& w, const std::vector<std::size_t>& gpus, const std::vector<std::string>& zones) {
  return !gpus.empty() && gpus.front() < w.desired.inventory.size() &&
         contains(zones, w.desired.inventory[gpus.front()].zone);
}

/// Pass 2b: a serving instance outside the preferred zones (a standby
/// promoted by a failover) hands over to a new one started in a preferred
/// zone, and becomes a hot standby; one move per model and pass, only once
/// the model is otherwise steady.
void posture(Work& w, std::size_t mi) {
  const ModelPolicy& m = w.desired.models[mi];
  if (m.preferred_zones.empty()) return;
  std::vector<std::string> preferred;
  for (const auto& z : m.preferred_zones) if (!contains(w.observed.down_zones, z)) preferred.push_back(z);
  if (preferred.empty()) return;
  std::optional<std::size_t> misplaced;
  for (std::size_t k = 0; k < w.observed.instances.size(); ++k) {
    const InstanceView& i = w.observed.instances[k];
    if (i.model != mi || w.gone[k]) continue;
    // Something under way: wait for it (a promotion in this pass is done at once).
    const bool promoted_now = w.acted[k] && i.state == InstanceState::kHot && w.heading[k] == Heading::kServing;
    if (i.busy || i.handing_over || (w.acted[k] && !promoted_now)) return;
    if (i.state == InstanceState::kStarting || i.state == InstanceState::kLoading ||
        i.state == InstanceState::kDraining) {
      return;
    }
    if (!misplaced && w.heading[k] == Heading::kServing && i.state == InstanceState::kHot && i.healthy &&
        !in_zones(w, i.gpus, preferred)) {
      misplaced = k;
    }
  }
  // Only at the serving minimum: instances beyond it (demand) go to sleep when idle anyway.
  if (!misplaced || count_heading(w, mi, Heading::kServing) != m.hot_min) return;
  if (!start_refusal(w, mi).empty()) return;
  // Only a preferred zone will do (elsewhere, say where the weights are, would not restore anything).
  std::vector<GpuView> in_preferred = w.gpus;
  for (GpuView& g : in_preferred) g.down = g.down || !contains(preferred, g.zone);
  auto placed = place(in_preferred, {.model = m.name, .gb_per_gpu = m.gb_per_gpu, .gpus = m.gpus,
                                     .preferred_zones = preferred},
                      w.desired.overcommit);
  if (!placed || !quota_refusal(w, m).empty()) return;
  const InstanceView& old = w.observed.instances[*misplaced];
  add_memory(w, mi, placed->gpus, MemoryUse::kAwake, true);
  w.heading[*misplaced] = Heading::kHotStandby;
  w.acted[*misplaced] = true;
  emit(w, {.kind = ActionKind::kStart, .model = mi, .role = Role::kServing, .gpus = placed->gpus,
           .takes_over_from = old.id,
           .reason = fmt::format("move serving back to a preferred zone; {} becomes a hot standby", old.id)});
}

/// Pass 2c: standbys, once serving is whole.
void standbys(Work& w, std::size_t mi) {
  const ModelPolicy& m = w.desired.models[mi];
  if (count_heading(w, mi, Heading::kServing) < m.hot_min) return;
  // Hot standbys: start the missing; put the extra to sleep.
  int hot = count_heading(w, mi, Heading::kHotStandby);
  for (; hot < m.standby.hot; ++hot) {
    if (!start_new(w, mi, Role::kStandby, false, "restore hot standbys", "a hot standby")) break;
  }
  if (hot > m.standby.hot) {
    for (std::size_t k : ready(w, heading_to(w, mi, Heading::kHotStandby))) {
      if (hot-- <= m.standby.hot) break;
      if (w.observed.instances[k].state != InstanceState::kHot) continue;
      w.heading[k] = Heading::kWarmStandby;
      emit(w, {.kind = ActionKind::kSleep, .model = mi, .instance = w.observed.instances[k].id,
               .role = Role::kStandby, .reason = "more hot standbys than the policy"},
           k);
    }
  }
  // Warm standbys: start (then sleep) the missing; stop those beyond what
  // demand may wake.
  int warm = count_heading(w, mi, Heading::kWarmStandby);
  for (; warm < m.standby.warm; ++warm) {
    if (!start_new(w, mi, Role::kStandby, true, "restore warm standbys", "a warm standby")) break;
  }
  const int keep = m.standby.warm + std::max(0, m.hot_max - m.hot_min);
  if (warm > keep) {
    for (std::size_t k : ready(w, heading_to(w, mi, Heading::kWarmStandby))) {
      if (warm-- <= keep) break;
      if (w.observed.instances[k].state != InstanceState::kWarm) continue;
      w.heading[k] = Heading::kLeaving;
      emit(w, {.kind = ActionKind::kStop, .model = mi, .instance = w.observed.instances[k].id,
               .reason = "more warm standbys than the policy and demand need"},
           k);
    }
  }
  // Cold standbys: reserve the missing; forget the extra.
  int cold = count_heading(w, mi, Heading::kColdStandby);
  for (; cold < m.standby.cold; ++cold) {
    auto placed = find_place(w, mi, Role::kStandby, "a cold standby");
    if (!placed) break;
    for (std::size_t g : placed->gpus) {
      if (g < w.gpus.size()) {
        w.gpus[g].weights.push_back(m.name);
        w.gpus[g].replicas.push_back(m.name);
      }
    }
    emit(w, {.kind = ActionKind::kReserve, .model = mi, .role = Role::kStandby, .gpus = placed->gpus,
             .reason = "restore cold standbys"});
  }
  if (cold > m.standby.cold) {
    for (std::size_t k : ready(w, heading_to(w, mi, Heading::kColdStandby))) {
      if (cold-- <= m.standby.cold) break;
      w.heading[k] = Heading::kLeaving;
      emit(w, {.kind = ActionKind::kForget, .model = mi, .instance = w.observed.instances[k].id,
               .reason = "more cold standbys than the policy"},
           k);
    }
  }
}

}  // namespace

int serving_count(const Observed& observed, std::size_t model) {
  int n = 0;
  for (const InstanceView& i : observed.instances) {
    n += i.model == model && i.role == Role::kServing && i.state == InstanceState::kHot ? 1 : 0;
  }
  return n;
}

config::StandbyCounts standby_counts(const Observed& observed, std::size_t model) {
  config::StandbyCounts c;
  for (const InstanceView& i : observed.instances) {
    if (i.model != model || i.busy) continue;
    if (i.role == Role::kStandby && i.state == InstanceState::kHot) ++c.hot;
    if (i.state == InstanceState::kWarm) ++c.warm;
    if (i.state == InstanceState::kCold) ++c.cold;
  }
  return c;
}

bool settled(const Desired& desired, const Observed& observed, std::size_t model) {
  if (model >= desired.models.size()) return false;
  const ModelPolicy& m = desired.models[model];
  for (const InstanceView& i : observed.instances) {
    if (i.model != model || is_final(i.state)) continue;
    if (i.busy || i.state == InstanceState::kStarting || i.state == InstanceState::kLoading ||
        i.state == InstanceState::kDraining) {
      return false;
    }
  }
  const config::StandbyCounts have = standby_counts(observed, model);
  return serving_count(observed, model) >= m.hot_min && have.hot >= m.standby.hot && have.warm >= m.standby.warm &&
         have.cold >= m.standby.cold;
}

std::vector<GpuView> gpu_views(const Desired& desired, const Observed& observed) {
  Work w{desired, observed, core::TimePoint{}, {}, {}, {}, {}, {}, {}};
  for (const InstanceView& i : observed.instances) w.gone.push_back(is_final(i.state));
  build_gpu_views(w);
  return std::move(w.gpus);
}

Plan plan(const Desired& desired, const Observed& observed, core::TimePoint now) {
  Work w{desired, observed, now, {}, {}, {}, {}, {}, {}};
  const std::size_t n = observed.instances.size();
  w.gone.assign(n, false);
  w.acted.assign(n, false);
  w.lost_serving.assign(desired.models.size(), 0);
  for (const InstanceView& i : observed.instances) w.heading.push_back(heading_of(i));
  failures(w);
  build_gpu_views(w);
  for (std::size_t k = 0; k < n; ++k) {
    if (observed.instances[k].model >= desired.models.size()) w.gone[k] = true;  // not ours to plan
  }
  for (std::size_t mi : by_priority(desired)) serve(w, mi);
  for (std::size_t mi : by_priority(desired)) posture(w, mi);
  for (std::size_t mi : by_priority(desired)) standbys(w, mi);
  return std::move(w.out);
}

}  // namespace sluice::fleet
