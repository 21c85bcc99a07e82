#include "fleet_role.h"

#include <unistd.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <map>
#include <thread>

namespace sluice::app {

namespace asio = boost::asio;
using Json = nlohmann::json;

std::string replica_name(const config::ClusterConfig& cluster) {
  if (!cluster.replica_id.empty()) return cluster.replica_id;
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) != 0) std::snprintf(host, sizeof host, "sluice");
  return fmt::format("{}-{}", host, ::getpid());
}

FleetRole::FleetRole(const config::Config& cfg, asio::io_context& control, provider::ProcessProvider& processes)
    : cfg_(cfg),
      control_(control),
      processes_(processes),
      fenced_(processes, cfg.cluster.enabled()
                             ? provider::FencedProvider::Fence([this] { return leadership_->fence(); })
                             : provider::FencedProvider::Fence{}) {
  if (!cfg.cluster.enabled()) return;
  // Engines outlive the leader, so that the next one adopts them.
  processes_.set_engines_outlive(true);
  leadership_ = std::make_unique<cluster::FleetLeadership>(
      cfg.cluster, replica_name(cfg.cluster),
      cluster::FleetLeadership::Hooks{
          .lead = [this](std::int64_t epoch, std::string table) { on_lead(epoch, table); },
          .stand_down = [this](std::string why) { on_stand_down(why); },
          .snapshot = [this](std::int64_t epoch) -> std::optional<std::string> {
            if (!driving_.load() || !fleet_) return std::nullopt;  // still adopting
            return published(epoch, fleet_->members());
          },
          .follow = [this](std::string table) { on_follow(table); }});
}

FleetRole::~FleetRole() {
  if (leadership_) leadership_->stop();
}

void FleetRole::attach(provider::FleetController& fleet, std::function<void()> republish) {
  fleet_ = &fleet;
  republish_ = std::move(republish);
}

std::string FleetRole::published(std::int64_t epoch, std::vector<provider::FleetMember> members) const {
  return provider::to_json(provider::PublishedFleet{epoch, leadership_->replica(), std::move(members)});
}

std::vector<std::shared_ptr<balance::Instance>> FleetRole::serving(std::string_view model) const {
  if (driving()) return fleet_ ? fleet_->serving(model) : std::vector<std::shared_ptr<balance::Instance>>{};
  return remote_.serving(model);
}

void FleetRole::changed() {
  if (leadership_) leadership_->changed();
}

void FleetRole::start() {
  if (!leadership_) {
    fleet_->start();
    return;
  }
  spdlog::info("cluster: {} seeks the fleet lease ({} ms) through {}", leadership_->replica(),
               std::chrono::duration_cast<std::chrono::milliseconds>(cfg_.cluster.leader_lease).count(),
               cfg_.cluster.redis);
  leadership_->start();
  schedule_reap();
}

void FleetRole::schedule_reap() {
  // Adopted engines are not our children: no SIGCHLD tells of their exit,
  // so the leader looks for it every sync interval.
  if (!reap_timer_) reap_timer_ = std::make_unique<asio::steady_timer>(control_);
  reap_timer_->expires_after(cfg_.cluster.sync_interval);
  reap_timer_->async_wait([this](const boost::system::error_code& ec) {
    if (ec || stopped_) return;
    if (driving_.load() && fleet_) fleet_->on_child_exit();
    schedule_reap();
  });
}

void FleetRole::on_lead(std::int64_t epoch, const std::string& table) {
  std::vector<provider::FleetMember> members;
  if (table.empty() && remote_.has_table()) {
    // Redis lost the table (restarted without persistence): the fleet this
    // replica last saw, or led, is still running.
    members = remote_.last().instances;
  } else if (!table.empty()) {
    auto parsed = provider::parse_published_fleet(table);
    if (parsed) {
      members = std::move(parsed->instances);
    } else {
      spdlog::error("cluster: the published fleet is unreadable ({}); starting a fleet afresh", parsed.error());
    }
  }
  asio::post(control_, [this, epoch, members = std::move(members)] {
    if (stopped_ || !leadership_->leader() || leadership_->epoch() != epoch) return;  // lost again meanwhile
    fleet_->adopt(members, [this](std::string_view id) { return remote_.instance(id); });
    driving_.store(true);
    fleet_->start();
    if (republish_) republish_();
    leadership_->changed();
  });
}

void FleetRole::on_stand_down(const std::string& why) {
  (void)why;
  // Keep routing to this replica's own instances until the new leader
  // publishes: seeded here, on the leadership thread, before any table of
  // the new leader is read.
  if (fleet_ && driving_.load()) {
    auto members = fleet_->members();
    std::map<std::string, std::shared_ptr<balance::Instance>> instances;
    for (const auto& m : members) instances[m.id] = fleet_->instance_of(m.id);
    remote_.seed(provider::PublishedFleet{leadership_->epoch(), leadership_->replica(), std::move(members)},
                 instances);
  }
  asio::post(control_, [this] {
    if (!driving_.exchange(false)) return;
    fleet_->stand_down();
    if (republish_) republish_();
  });
}

void FleetRole::on_follow(const std::string& table) {
  auto parsed = provider::parse_published_fleet(table);
  if (!parsed) {
    spdlog::error("cluster: the published fleet is unreadable: {}", parsed.error());
    return;
  }
  if (remote_.apply(*parsed, core::steady_now())) {
    asio::post(control_, [this] {
      if (!driving_.load() && republish_) republish_();
    });
  }
}

std::expected<void, std::string> FleetRole::wait_ready(core::Duration timeout) {
  if (!leadership_) return fleet_->wait_until_serving(timeout);
  const auto deadline = core::steady_now() + timeout;
  for (;;) {
    if (driving_.load()) return fleet_->wait_until_serving(deadline - core::steady_now());
    if (remote_.has_table() && !leadership_->leader()) return {};
    if (core::steady_now() >= deadline) {
      return std::unexpected(fmt::format("neither the fleet lease nor the leader's fleet within {} s (Redis {})",
                                         std::chrono::duration_cast<std::chrono::seconds>(timeout).count(),
                                         cfg_.cluster.redis));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

std::pair<int, std::string> FleetRole::handle_admin(net::http::verb method, std::string_view path,
                                                     std::string_view body) {
  if (driving()) return fleet_->handle_admin(method, path, body);
  const std::string leader = leadership_->leader_id();
  if (method == net::http::verb::get && path == "/admin/fleet") {
    const provider::PublishedFleet last = remote_.last();
    Json out = Json::parse(provider::to_json(last));
    out["role"] = "follower";
    out["replica"] = leadership_->replica();
    out["leader"] = leader.empty() ? last.leader : leader;
    return {200, out.dump()};
  }
  Json error = {{"error",
                 {{"message", fmt::format("this replica ({}) is not the fleet leader: send fleet changes to the "
                                          "leader{}",
                                          leadership_->replica(), leader.empty() ? "" : " (" + leader + ")")},
                  {"type", "invalid_request_error"},
                  {"param", nullptr},
                  {"code", "not_fleet_leader"}}},
                {"leader", leader}};
  return {409, error.dump()};
}

void FleetRole::render_metrics(std::string& out) const {
  if (driving() && fleet_) fleet_->render_metrics(out);
  if (leadership_) leadership_->render_metrics(out);
}

void FleetRole::stop(core::Duration grace) {
  stopped_ = true;
  if (reap_timer_) reap_timer_->cancel();
  reap_timer_.reset();
  if (!leadership_) {
    fleet_->stop(grace);
    return;
  }
  const bool was_driving = driving_.exchange(false);
  if (!was_driving) {
    // A follower drives nothing; engines it once led belong to the leader now.
    fleet_->stand_down();
    leadership_->stop();
    processes_.release_all();
    return;
  }
  // A leader hands the fleet over when another replica is live: the engines
  // keep serving and the next leader adopts them from the table published
  // now (the lease is released, so it takes over at its next attempt). When
  // none is, or none takes the lease in time, it stops the engines.
  const int others = leadership_->other_replicas();
  const std::string last = published(leadership_->epoch(), fleet_->members());
  fleet_->stand_down();
  leadership_->stop();
  const core::Duration wait = cfg_.cluster.leader_lease + 3 * cfg_.cluster.sync_interval;
  if (others > 0 && leadership_->hand_over(last, wait)) {
    processes_.release_all();
    spdlog::info("cluster: the fleet is handed over to another replica; its engines keep running");
    return;
  }
  processes_.stop_all(grace);
  leadership_->finish(published(leadership_->epoch(), {}));
  spdlog::info("cluster: no other replica leads the fleet: its engines are stopped");
}

}  // namespace sluice::app
