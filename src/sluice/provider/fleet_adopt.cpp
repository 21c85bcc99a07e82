// Several gateway replicas, one fleet leader (fleet_controller.h): what the
// leader publishes of its fleet, how a new leader adopts the instances the
// last one started, and how a leader stands down without touching them.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "sluice/provider/fleet_controller.h"

namespace sluice::provider {

using namespace sluice::net;
using fleet::InstanceState;
using fleet::Role;

namespace {

std::optional<InstanceState> state_named(std::string_view name) {
  for (std::size_t s = 0; s < fleet::kInstanceStates; ++s) {
    const auto state = static_cast<InstanceState>(s);
    if (fleet::to_string(state) == name) return state;
  }
  return std::nullopt;
}

}  // namespace

std::vector<FleetMember> FleetController::members() const {
  std::lock_guard lock(mu_);
  const std::int64_t now_ns = core::steady_now().time_since_epoch().count();
  std::vector<FleetMember> out;
  for (const auto& r : records_) {
    const InstanceState state = r->life.state();
    if (fleet::is_final(state) || state == InstanceState::kCold || !r->route) continue;
    FleetMember m;
    m.id = r->id;
    m.model = desired_.models[r->model].name;
    m.ordinal = r->ordinal;
    m.state = std::string(fleet::to_string(state));
    m.role = std::string(fleet::to_string(r->role));
    m.gpus = r->gpus;
    m.host = r->route->host;
    m.port = r->route->port;
    m.pid = r->pid;
    m.in_rotation = r->role == Role::kServing && state == InstanceState::kHot && r->route->available.load();
    m.healthy = r->route->check_healthy.load();
    const std::int64_t ejected = r->route->ejected_until_ns.load() - now_ns;
    m.ejected_ms = ejected > 0 ? ejected / 1'000'000 : 0;
    out.push_back(std::move(m));
  }
  return out;
}

std::shared_ptr<balance::Instance> FleetController::instance_of(std::string_view id) const {
  std::lock_guard lock(mu_);
  const Record* r = find(id);
  return r ? r->route : nullptr;
}

void FleetController::adopt(const std::vector<FleetMember>& members,
                            const std::function<std::shared_ptr<balance::Instance>(std::string_view id)>& existing) {
  std::lock_guard lock(mu_);
  const auto now = core::steady_now();
  stopped_ = false;
  records_.clear();
  int adopted = 0;
  for (const FleetMember& m : members) {
    const auto model = std::find_if(desired_.models.begin(), desired_.models.end(),
                                    [&](const auto& p) { return p.name == m.model; });
    auto state = state_named(m.state);
    if (model == desired_.models.end() || !state || fleet::is_final(*state) || *state == InstanceState::kCold) {
      spdlog::warn("fleet: not adopting {} ({} {}): not an instance of this config's fleet", m.id, m.model, m.state);
      continue;
    }
    if (!provider_.adopt(m.id, Launched{m.host, m.port, m.pid})) {
      spdlog::warn("fleet: not adopting {}: pid {} does not run it at {}:{} any more", m.id, m.pid, m.host, m.port);
      continue;
    }
    const std::size_t index = static_cast<std::size_t>(model - desired_.models.begin());
    // A drain in progress is not resumed: the instance becomes a hot
    // standby and the planner decides again. One still loading is watched
    // until its /health answers, as if this replica had started it.
    if (*state == InstanceState::kDraining) *state = InstanceState::kHot;
    if (*state == InstanceState::kStarting) *state = InstanceState::kLoading;
    const Role role = m.role == "serving" && !(m.state == "draining") ? Role::kServing : Role::kStandby;
    auto rec = std::make_unique<Record>(Record{.id = m.id,
                                               .model = index,
                                               .ordinal = m.ordinal,
                                               .life = fleet::Lifecycle(now, *state),
                                               .role = role,
                                               .gpus = m.gpus});
    std::erase_if(rec->gpus, [&](std::size_t g) { return g >= desired_.inventory.size(); });
    rec->pid = m.pid;
    rec->last_active = now;
    rec->served = m.in_rotation;
    rec->busy = *state == InstanceState::kLoading;
    rec->route = existing ? existing(m.id) : nullptr;
    if (!rec->route || rec->route->host != m.host || rec->route->port != m.port) {
      auto inst = std::make_shared<balance::Instance>();
      inst->serial = balance::next_instance_serial();
      inst->id = core::InstanceId(m.id);
      inst->host = m.host;
      inst->port = m.port;
      rec->route = std::move(inst);
    }
    rec->route->available.store(*state == InstanceState::kHot && role == Role::kServing);
    rec->successes_seen = rec->route->counters.successes.load();
    next_ordinal_[index] = std::max(next_ordinal_[index], m.ordinal + 1);
    settled_once_[index] = true;  // its first fleet is up: later starts load from disk
    const bool loading = *state == InstanceState::kLoading;
    const std::string id = rec->id;
    records_.push_back(std::move(rec));
    ++adopted;
    if (loading) asio::co_spawn(io_, bring_up(id, now + config_.fleet.start_timeout), asio::detached);
  }
  spdlog::info("fleet: adopted {} of {} published instance(s)", adopted, members.size());
}

void FleetController::stand_down() {
  std::lock_guard lock(mu_);
  stopped_ = true;
  if (timer_) timer_->cancel();
  // Not stopping: the engines keep serving, and the new leader adopts them.
  // Work in flight (bring-ups, drains) finds its record gone and ends.
  records_.clear();
}

}  // namespace sluice::provider
