#include "sluice/provider/fleet_controller.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <thread>

#include "sluice/core/error.h"
#include "sluice/engine/profile.h"
#include "sluice/fleet/placement.h"
#include "sluice/net/http_get.h"
#include "sluice/core/duration_text.h"
#include "sluice/provider/unix_ms.h"

namespace sluice::provider {

using namespace sluice::net;
using fleet::InstanceState;
using fleet::Role;
using Json = nlohmann::json;

namespace {

double profile_weights(const config::Model& m) {
  const engine::EngineProfile* p = m.source == config::ModelSource::kSim ? engine::find_profile(m.sim.profile) : nullptr;
  return p ? p->weights_gb : 0.0;
}




std::chrono::milliseconds ms(core::Duration d) { return std::chrono::duration_cast<std::chrono::milliseconds>(d); }

/// How long a wake-up may take: the profile's wake time, sped up, plus slack.
std::chrono::milliseconds wake_timeout(const config::Model& m) {
  if (m.source == config::ModelSource::kProcess) return ms(m.process.wake_timeout);
  const engine::EngineProfile* p = engine::find_profile(m.sim.profile);
  const double wake_s = p ? p->wake_s / std::max(m.sim.speedup, 1e-3) : 0.0;
  return std::chrono::milliseconds(static_cast<std::int64_t>(wake_s * 1000)) + std::chrono::seconds(30);
}

asio::awaitable<void> pause(core::Duration d) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  timer.expires_after(d);
  co_await timer.async_wait(use_nothrow);
}

}  // namespace

FleetController::FleetController(asio::io_context& control, const config::Config& config, Provider& provider,
                                 Hooks hooks)
    : io_(control),
      config_(config),
      provider_(provider),
      hooks_(std::move(hooks)),
      desired_(fleet::desired_from(config, profile_weights)),
      next_ordinal_(config.models.size(), 0),
      zone_watch_(config.fleet.zone_failure_threshold, config.fleet.zone_failure_window),
      was_settled_(config.models.size(), false),
      settled_once_(config.models.size(), false),
      run_id_(std::chrono::duration_cast<std::chrono::milliseconds>(
                  std::chrono::system_clock::now().time_since_epoch()).count()) {}

FleetController::~FleetController() { stop(std::chrono::seconds(2)); }

void FleetController::start() {
  timer_ = std::make_shared<asio::steady_timer>(io_);
  asio::post(io_, [this] { reconcile(); });
  schedule_tick();
}

void FleetController::schedule_tick() {
  timer_->expires_after(config_.fleet.reconcile_interval);
  timer_->async_wait([this](const error_code& ec) {  // the timer is ours: it dies before the io_context
    if (ec) return;
    {
      std::lock_guard lock(mu_);
      if (stopped_) return;
    }
    reconcile();
    report_failovers();
    schedule_tick();
  });
}

std::expected<void, std::string> FleetController::wait_until_serving(core::Duration timeout) {
  const auto deadline = core::steady_now() + timeout;
  for (;;) {
    {
      std::lock_guard lock(mu_);
      if (!start_error_.empty()) return std::unexpected(start_error_);
      bool all = true;
      for (std::size_t m = 0; m < desired_.models.size(); ++m) {
        int hot = 0;
        for (const auto& r : records_) {
          if (r->model == m && r->role == Role::kServing && r->life.state() == InstanceState::kHot) ++hot;
        }
        all = all && hot >= desired_.models[m].hot_min;
      }
      if (all) return {};
      if (core::steady_now() >= deadline) {
        std::string why = fmt::format("the fleet did not serve every model within {} s",
                                      std::chrono::duration_cast<std::chrono::seconds>(timeout).count());
        for (const auto& line : unplaced_) why += "; " + line;
        return std::unexpected(why);
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

void FleetController::begin_stop() {
  std::lock_guard lock(mu_);
  stopped_ = true;
  for (auto& r : records_) r->stopping = true;
}

void FleetController::stop(core::Duration grace) {
  begin_stop();
  provider_.stop_all(grace);  // once every child is gone, a no-op
}

// ------------------------------------------------------------ observe ----

FleetController::Record* FleetController::find(std::string_view id) {
  for (auto& r : records_) if (r->id == id) return r.get();
  return nullptr;
}

const FleetController::Record* FleetController::find(std::string_view id) const {
  for (const auto& r : records_) if (r->id == id) return r.get();
  return nullptr;
}

std::string FleetController::node_of(const Record& r) const {
  return r.gpus.empty() || r.gpus.front() >= desired_.inventory.size() ? "" : desired_.inventory[r.gpus.front()].node;
}

std::string FleetController::zone_of(const Record& r) const {
  return r.gpus.empty() || r.gpus.front() >= desired_.inventory.size() ? "" : desired_.inventory[r.gpus.front()].zone;
}

fleet::Observed FleetController::observe(core::TimePoint now) {
  fleet::Observed o;
  const std::int64_t now_ns = now.time_since_epoch().count();
  for (auto& r : records_) {
    fleet::InstanceView v;
    v.id = r->id;
    v.model = r->model;
    v.state = r->life.state();
    v.role = r->role;
    v.gpus = r->gpus;
    v.busy = r->busy;
    v.sleep_when_loaded = r->sleep_when_loaded;
    v.served = r->served;
    if (r->route) {
      v.in_flight = r->route->outstanding.load(std::memory_order_relaxed);
      if (v.in_flight > 0) r->last_active = now;
      const std::uint64_t ok = r->route->counters.successes.load(std::memory_order_relaxed);
      if (ok > r->successes_seen) {
        r->successes_seen = ok;
        r->last_active = now;
        log_.served(r->id, now);
      }
      // Failing active checks always counts; an ejection only where the
      // model's recovery policy replaces ejected instances.
      v.healthy = config_.models[r->model].recovery.replace_ejected ? r->route->usable(now_ns)
                                                                     : r->route->check_healthy.load();
    }
    v.last_active = r->last_active;
    o.instances.push_back(std::move(v));
  }
  for (const auto& r : records_) {
    const bool coming = r->life.state() == InstanceState::kStarting || r->life.state() == InstanceState::kLoading;
    if (r->takes_over_from.empty() || !coming) continue;
    for (auto& v : o.instances) v.handing_over = v.handing_over || v.id == r->takes_over_from;
  }
  o.down_nodes.assign(down_nodes_.begin(), down_nodes_.end());
  o.down_zones.assign(down_zones_.begin(), down_zones_.end());
  for (std::size_t m = 0; m < desired_.models.size(); ++m) {
    o.queued.push_back(hooks_.queued ? hooks_.queued(m) : 0);
    o.start_after.push_back(crash_backoff_.start_after(desired_.models[m].name));
  }
  return o;
}

void FleetController::note_settled(core::TimePoint now) {
  const fleet::Observed o = observe(now);
  for (std::size_t m = 0; m < desired_.models.size(); ++m) {
    const bool settled = fleet::settled(desired_, o, m);
    if (settled) log_.settled(desired_.models[m].name, now);
    was_settled_[m] = settled;
    if (settled) settled_once_[m] = true;
  }
}

void FleetController::reconcile() {
  std::lock_guard lock(mu_);
  if (stopped_) return;
  const auto now = core::steady_now();
  recover_zones(now);
  const fleet::Observed observed = observe(now);
  const fleet::Plan plan = fleet::plan(desired_, observed, now);
  if (plan.unplaced != unplaced_) {
    for (const auto& line : plan.unplaced) spdlog::warn("fleet: {}", line);
    unplaced_ = plan.unplaced;
  }
  for (const fleet::Action& action : plan.actions) {
    spdlog::info("fleet: {} {} ({})", fleet::to_string(action.kind),
                 action.instance.empty() ? desired_.models[action.model].name + "/new" : action.instance,
                 action.reason);
    ++actions_by_kind_[std::string(fleet::to_string(action.kind))];
    execute(action, now);
  }
  note_settled(now);
}

// ------------------------------------------------------------ act ----

std::string FleetController::failure_cause(const Record& r, const std::string& fallback) const {
  if (down_zones_.contains(zone_of(r))) return "zone_down";
  if (down_nodes_.contains(node_of(r))) return "node_down";
  return fallback;
}

void FleetController::count_zone_failure(const Record& failed, core::TimePoint now) {
  const std::string zone = zone_of(failed);
  if (zone.empty() || down_zones_.contains(zone)) return;
  int running = 0;
  for (const auto& r : records_) {
    if (zone_of(*r) == zone && !fleet::is_final(r->life.state()) && r->life.state() != InstanceState::kCold) ++running;
  }
  bool other_zone_up = false;
  for (const auto& slot : desired_.inventory) {
    other_zone_up = other_zone_up || (slot.zone != zone && !down_zones_.contains(slot.zone));
  }
  if (zone_watch_.failed({.zone = zone, .node = node_of(failed), .still_running = running,
                          .other_zone_up = other_zone_up},
                         now)) {
    spdlog::error("fleet: zone {} failed (instances on several of its nodes failed within {}); its instances fail "
                  "over to other zones; it is used again after {}",
                  zone, core::format_duration(config_.fleet.zone_failure_window),
                  core::format_duration(config_.fleet.zone_failure_window));
    down_zones_.insert(zone);
  }
}

void FleetController::recover_zones(core::TimePoint now) {
  for (const std::string& zone : zone_watch_.recovered(now)) {
    if (down_zones_.erase(zone) > 0) spdlog::warn("fleet: zone {} is used again (its failure window has passed)", zone);
  }
}

void FleetController::count_crash(const Record& r, core::TimePoint now) {
  const fleet::ModelPolicy& m = desired_.models[r.model];
  // Restarted at once: as many failures in a row as the policy runs instances, and two more.
  const int free_restarts = m.hot_min + m.standby.hot + m.standby.warm + 2;
  crash_backoff_.failed(m.name, free_restarts, now);
  if (const core::Duration hold = crash_backoff_.hold(m.name); hold > core::Duration::zero()) {
    spdlog::warn("fleet: {} failed {} times in a row; its next start waits {} (crash-loop backoff)", m.name,
                 crash_backoff_.failures(m.name, now), core::format_duration(hold));
  }
}

void FleetController::hand_over(Record& r, core::TimePoint now) {
  Record* old = r.takes_over_from.empty() ? nullptr : find(r.takes_over_from);
  r.takes_over_from.clear();
  if (!old || old->role != Role::kServing || old->life.state() != InstanceState::kHot) return;
  old->role = Role::kStandby;
  spdlog::info("fleet: {} serves in a preferred zone; {} is a hot standby again", r.id, old->id);
  (void)now;
}

void FleetController::fail(Record& r, const std::string& cause, core::TimePoint now) {
  if (fleet::is_final(r.life.state())) return;
  const bool in_rotation = r.role == Role::kServing && r.life.state() == InstanceState::kHot;
  const bool was_running = r.life.state() != InstanceState::kCold;
  (void)r.life.to(InstanceState::kFailed, now, cause);
  r.busy = false;
  if (r.route) r.route->available.store(false);
  provider_.kill(r.id);
  spdlog::error("fleet: {} failed ({}); it leaves the rotation", r.id, cause);
  if (in_rotation) {
    log_.failed(desired_.models[r.model].name, r.id, cause, zone_of(r), now, r.fault_onset);
    ++failovers_by_cause_[desired_.models[r.model].name + "\x1f" + cause];
  }
  // A failed node explains its instances' failures: they say nothing more about the zone.
  if (was_running && cause != "node_down" && cause != "zone_down") {
    // Only an engine that went away (its process exited, it stopped answering
    // its checks) says anything about its zone; one ejected for its answers,
    // or a model that fails to load or sleep, does not.
    if (cause == "process_exit" || cause == "unhealthy") count_zone_failure(r, now);
    count_crash(r, now);
  }
  if (in_rotation && hooks_.republish) hooks_.republish();
}

void FleetController::execute(const fleet::Action& a, core::TimePoint now) {
  using fleet::ActionKind;
  const std::string& model = desired_.models[a.model].name;
  Record* r = a.instance.empty() ? nullptr : find(a.instance);
  switch (a.kind) {
    case ActionKind::kFail: {
      if (!r) return;
      std::string cause = a.reason.starts_with("node") ? "node_down"
                          : a.reason.starts_with("zone") ? "zone_down"
                                                          : "unhealthy";
      if (cause == "unhealthy" && r->route &&
          now.time_since_epoch().count() < r->route->ejected_until_ns.load(std::memory_order_relaxed)) {
        cause = "ejected";
      }
      fail(*r, cause, now);
      return;
    }
    case ActionKind::kForget:
      std::erase_if(records_, [&](const auto& rec) { return rec->id == a.instance; });
      return;
    case ActionKind::kPromote:
      if (!r) return;
      r->role = Role::kServing;
      r->served = true;
      r->last_active = now;
      log_.replaced(model, r->id, "hot", now);
      if (hooks_.republish) hooks_.republish();
      return;
    case ActionKind::kWake:
      if (!r) return;
      r->role = Role::kServing;
      r->busy = true;
      log_.replaced(model, r->id, "warm", now);
      asio::co_spawn(io_, wake(r->id), asio::detached);
      return;
    case ActionKind::kStart: {
      if (!r) {
        auto rec = std::make_unique<Record>(Record{.id = fmt::format("{}/{}", model, next_ordinal_[a.model]),
                                                   .model = a.model,
                                                   .ordinal = next_ordinal_[a.model],
                                                   .life = fleet::Lifecycle(now)});
        ++next_ordinal_[a.model];
        r = rec.get();
        records_.push_back(std::move(rec));
      }
      if (a.role == Role::kServing) log_.replaced(model, r->id, a.instance.empty() ? "new" : "cold", now);
      start_instance(*r, a, now);
      return;
    }
    case ActionKind::kReserve: {
      auto rec = std::make_unique<Record>(Record{.id = fmt::format("{}/{}", model, next_ordinal_[a.model]),
                                                 .model = a.model,
                                                 .ordinal = next_ordinal_[a.model],
                                                 .life = fleet::Lifecycle(now),
                                                 .role = Role::kStandby,
                                                 .gpus = a.gpus});
      ++next_ordinal_[a.model];
      records_.push_back(std::move(rec));
      return;
    }
    case ActionKind::kSleep:
      if (!r || r->life.state() != InstanceState::kHot) return;
      r->role = Role::kStandby;
      r->busy = true;
      (void)r->life.to(InstanceState::kDraining, now, "drain before sleep: " + a.reason);
      if (hooks_.republish) hooks_.republish();
      asio::co_spawn(io_, drain_then(r->id, true), asio::detached);
      return;
    case ActionKind::kStop:
      if (!r) return;
      r->busy = true;
      r->stopping = true;
      if (r->life.state() == InstanceState::kHot) {
        (void)r->life.to(InstanceState::kDraining, now, "drain before stop: " + a.reason);
        if (hooks_.republish) hooks_.republish();
        asio::co_spawn(io_, drain_then(r->id, false), asio::detached);
      } else {
        provider_.stop(r->id);
      }
      return;
  }
}

void FleetController::start_instance(Record& r, const fleet::Action& a, core::TimePoint now) {
  r.gpus = a.gpus;
  r.role = a.role;
  r.sleep_when_loaded = a.sleep_when_loaded;
  r.takes_over_from = a.takes_over_from;
  r.busy = true;
  r.stopping = false;
  LaunchSpec spec;
  spec.instance_id = r.id;
  spec.model = config_.models[r.model];
  spec.ordinal = r.ordinal;
  spec.node = node_of(r);
  spec.zone = zone_of(r);
  for (std::size_t g : r.gpus) {
    const fleet::GpuSlot& slot = desired_.inventory[g];
    spec.gpu_ids.push_back(slot.id);
    int on_node = 0;
    for (std::size_t k = 0; k < g; ++k) on_node += desired_.inventory[k].node == slot.node ? 1 : 0;
    spec.gpu_indices.push_back(on_node);
  }
  spec.simulate_load = settled_once_[r.model];
  if (auto it = corrupt_loads_.find(spec.model.name); it != corrupt_loads_.end() && it->second > 0) {
    spec.fail_load = true;
    if (--it->second == 0) corrupt_loads_.erase(it);
  }
  (void)r.life.to(InstanceState::kStarting, now, a.reason);
  auto launched = provider_.launch(spec);
  if (!launched) {
    start_error_ = fmt::format("cannot start {}: {}", r.id, launched.error());
    fail(r, "load_failed", now);
    return;
  }
  r.pid = launched->pid;
  auto inst = std::make_shared<balance::Instance>();
  inst->serial = balance::next_instance_serial();
  inst->id = core::InstanceId(r.id);
  inst->host = launched->host;
  inst->port = launched->port;
  inst->available.store(false);
  r.route = std::move(inst);
  r.successes_seen = 0;
  (void)r.life.to(InstanceState::kLoading, now, fmt::format("pid {} on {}", r.pid, spec.node));
  asio::co_spawn(io_, bring_up(r.id, now + config_.fleet.start_timeout), asio::detached);
}

asio::awaitable<void> FleetController::bring_up(std::string id, core::TimePoint deadline) {
  for (;;) {
    std::string host;
    std::uint16_t port = 0;
    {
      std::lock_guard lock(mu_);
      Record* r = find(id);
      if (!r || r->life.state() != InstanceState::kLoading || !r->route) co_return;
      host = r->route->host;
      port = r->route->port;
    }
    auto health = co_await http_get(host, port, "/health", std::chrono::milliseconds(1000));
    if (health) break;
    if (core::steady_now() >= deadline) {
      std::lock_guard lock(mu_);
      if (Record* r = find(id)) {
        start_error_ = fmt::format("{} did not load within {}", id, core::format_duration(config_.fleet.start_timeout));
        fail(*r, "load_failed", core::steady_now());
      }
      co_return;
    }
    co_await pause(std::chrono::milliseconds(25));
  }
  bool then_sleep = false;
  std::string host;
  std::uint16_t port = 0;
  {
    std::lock_guard lock(mu_);
    Record* r = find(id);
    if (!r || r->life.state() != InstanceState::kLoading) co_return;
    const auto now = core::steady_now();
    (void)r->life.to(InstanceState::kHot, now, "loaded");
    r->last_active = now;
    r->route->available.store(true);
    then_sleep = r->sleep_when_loaded;
    host = r->route->host;
    port = r->route->port;
    if (!then_sleep) {
      r->busy = false;
      if (r->role == Role::kServing) {
        r->served = true;
        hand_over(*r, now);
      }
      if (r->role == Role::kServing && hooks_.republish) hooks_.republish();
      if (Record* old = r->replaces.empty() ? nullptr : find(r->replaces); old && old->life.state() == InstanceState::kHot) {
        execute({.kind = fleet::ActionKind::kStop, .model = old->model, .instance = old->id,
                 .reason = "admin: moved to " + id},
                now);
      }
    }
  }
  if (then_sleep) {
    auto slept = co_await http_request(http::verb::post, host, port, "/sleep?level=1", {}, std::chrono::seconds(30));
    std::lock_guard lock(mu_);
    Record* r = find(id);
    if (!r || r->life.state() != InstanceState::kHot) co_return;
    if (!slept || slept->status != 200) {
      fail(*r, "sleep_failed", core::steady_now());
      co_return;
    }
    (void)r->life.to(InstanceState::kWarm, core::steady_now(), "warm standby: asleep after loading");
    r->sleep_when_loaded = false;
    r->busy = false;
  }
  asio::post(io_, [this] { reconcile(); });
}

asio::awaitable<void> FleetController::wake(std::string id) {
  std::string host;
  std::uint16_t port = 0;
  std::chrono::milliseconds timeout{};
  {
    std::lock_guard lock(mu_);
    Record* r = find(id);
    if (!r || !r->route || r->life.state() != InstanceState::kWarm) co_return;
    host = r->route->host;
    port = r->route->port;
    timeout = wake_timeout(config_.models[r->model]);
  }
  auto woke = co_await http_request(http::verb::post, host, port, "/wake_up", {}, timeout);
  {
    std::lock_guard lock(mu_);
    Record* r = find(id);
    if (!r || r->life.state() != InstanceState::kWarm) co_return;
    const auto now = core::steady_now();
    if (!woke || woke->status != 200) {
      fail(*r, "wake_failed", now);
    } else {
      (void)r->life.to(InstanceState::kHot, now, "woken");
      r->busy = false;
      r->served = r->served || r->role == Role::kServing;
      r->last_active = now;
      if (hooks_.republish) hooks_.republish();
    }
  }
  asio::post(io_, [this] { reconcile(); });
}

asio::awaitable<void> FleetController::drain_then(std::string id, bool sleep) {
  const auto give_up = core::steady_now() + std::chrono::seconds(60);
  std::string host;
  std::uint16_t port = 0;
  for (;;) {
    {
      std::lock_guard lock(mu_);
      Record* r = find(id);
      if (!r || r->life.state() != InstanceState::kDraining || !r->route) co_return;
      host = r->route->host;
      port = r->route->port;
      if (r->route->outstanding.load() == 0 || core::steady_now() >= give_up) break;
    }
    co_await pause(std::chrono::milliseconds(20));
  }
  if (!sleep) {
    std::lock_guard lock(mu_);
    provider_.stop(id);  // the exit ends it (stopped)
    co_return;
  }
  auto slept = co_await http_request(http::verb::post, host, port, "/sleep?level=1", {}, std::chrono::seconds(30));
  std::lock_guard lock(mu_);
  Record* r = find(id);
  if (!r || r->life.state() != InstanceState::kDraining) co_return;
  if (!slept || slept->status != 200) {
    fail(*r, "sleep_failed", core::steady_now());
    co_return;
  }
  (void)r->life.to(InstanceState::kWarm, core::steady_now(), "asleep");
  r->busy = false;
}

void FleetController::on_child_exit() {
  std::lock_guard lock(mu_);
  const auto now = core::steady_now();
  for (const Exit& e : provider_.reap()) {
    Record* r = find(e.instance_id);
    if (!r || fleet::is_final(r->life.state())) continue;
    if (r->stopping) {
      (void)r->life.to(fleet::legal(r->life.state(), InstanceState::kStopped) ? InstanceState::kStopped
                                                                               : InstanceState::kFailed,
                       now, "stopped: " + e.description);
      r->busy = false;
      continue;
    }
    const bool loading = r->life.state() == InstanceState::kStarting || r->life.state() == InstanceState::kLoading;
    if (loading && r->role == Role::kServing && start_error_.empty()) {
      start_error_ = fmt::format("{} {} while loading", r->id, e.description);
    }
    spdlog::error("engine {} {}", r->id, e.description);
    fail(*r, failure_cause(*r, loading ? "load_failed" : "process_exit"), now);
  }
  if (!stopped_) asio::post(io_, [this] { reconcile(); });
}

// ------------------------------------------------------------ read ----

std::vector<std::shared_ptr<balance::Instance>> FleetController::serving(std::string_view model) const {
  std::lock_guard lock(mu_);
  std::vector<std::shared_ptr<balance::Instance>> out;
  for (const auto& r : records_) {
    if (r->route && r->role == Role::kServing && r->life.state() == InstanceState::kHot &&
        desired_.models[r->model].name == model) {
      out.push_back(r->route);
    }
  }
  return out;
}

}  // namespace sluice::provider
