#include "sluice/cluster/fleet_leader.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "sluice/obs/histogram.h"

namespace sluice::cluster {

namespace {

RedisAddress address_of(const config::ClusterConfig& cluster) {
  auto parsed = parse_redis_url(cluster.redis);
  return parsed ? *parsed : RedisAddress{};  // the loader checked the URL
}

std::chrono::milliseconds ms(core::Duration d) { return std::chrono::duration_cast<std::chrono::milliseconds>(d); }

std::int64_t unix_ms_now() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

FleetLeadership::FleetLeadership(const config::ClusterConfig& cluster, std::string replica, Hooks hooks)
    : cluster_(cluster),
      replica_(std::move(replica)),
      prefix_("sluice:fleet:"),
      hooks_(std::move(hooks)),
      redis_(address_of(cluster), ms(cluster.redis_timeout)),
      fence_redis_(address_of(cluster), ms(cluster.redis_timeout)),
      decider_(LeaseTiming::from(cluster.leader_lease, cluster.sync_interval)),
      lease_(redis_, prefix_, replica_) {}

FleetLeadership::~FleetLeadership() {
  if (thread_.joinable()) stop();
}

void FleetLeadership::start() {
  thread_ = std::thread([this] { run(); });
}

void FleetLeadership::stop() {
  {
    std::lock_guard lock(mu_);
    if (stop_ && !thread_.joinable()) return;
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  // The thread is gone: its connection is ours now.
  (void)redis_.command({"ZREM", prefix_ + "replicas", replica_});
}

bool FleetLeadership::hand_over(const std::string& last, core::Duration wait) {
  if (!decider_.leader()) return true;
  (void)lease_.fenced_set(decider_.epoch(), prefix_ + "table", last);
  if (auto r = lease_.release(decider_.epoch()); !r) spdlog::warn("cluster: lease not released: {}", r.error());
  decider_.lost(core::steady_now());
  leader_.store(false);
  const auto deadline = core::steady_now() + wait;
  while (core::steady_now() < deadline) {
    if (auto h = lease_.holder(); h && h->has_value()) {
      if ((*h)->replica != replica_) {
        spdlog::info("cluster: {} leads the fleet now (epoch {})", (*h)->replica, (*h)->epoch);
        set_leader_id((*h)->replica);
        epoch_.store((*h)->epoch);
        return true;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  // Nobody came: take the fleet back, to stop it.
  const auto sent = core::steady_now();
  auto won = lease_.try_acquire(decider_.timing().ttl);
  if (!won) return false;  // Redis is away: nobody can lead; stop the engines
  if (!won->has_value()) return true;  // someone took it at the last moment
  decider_.acquired(sent, **won);
  epoch_.store(**won);
  leader_.store(true);
  return false;
}

void FleetLeadership::finish(const std::string& last) {
  if (!decider_.leader()) return;
  (void)lease_.fenced_set(decider_.epoch(), prefix_ + "table", last);
  if (auto r = lease_.release(decider_.epoch()); !r) spdlog::warn("cluster: lease not released: {}", r.error());
  decider_.lost(core::steady_now());
  leader_.store(false);
}

int FleetLeadership::other_replicas() {
  std::lock_guard lock(fence_mu_);
  return count_others(fence_redis_);
}

int FleetLeadership::count_others(RedisConnection& redis) {
  const std::int64_t since = unix_ms_now() - ms(cluster_.replica_ttl).count();
  auto r = redis.command({"ZRANGEBYSCORE", prefix_ + "replicas", std::to_string(since), "+inf"});
  if (!r || r->type != RedisReply::Type::kArray) return -1;
  int others = 0;
  for (const auto& e : r->elements) others += e.text != replica_ ? 1 : 0;
  return others;
}

void FleetLeadership::changed() {
  {
    std::lock_guard lock(mu_);
    changed_ = true;
  }
  cv_.notify_all();
}

std::string FleetLeadership::leader_id() const {
  std::lock_guard lock(mu_);
  return leader_id_;
}

void FleetLeadership::set_leader_id(std::string id) {
  std::lock_guard lock(mu_);
  leader_id_ = std::move(id);
}

std::expected<void, std::string> FleetLeadership::fence() {
  if (!leader_.load()) return std::unexpected(std::string("this replica is not the fleet leader"));
  const std::int64_t epoch = epoch_.load();
  std::lock_guard lock(fence_mu_);
  RedisLease lease(fence_redis_, prefix_, replica_);
  auto holds = lease.holds(epoch);
  if (!holds) return std::unexpected(fmt::format("the lease cannot be checked: {}", holds.error()));
  if (!*holds) return std::unexpected(fmt::format("epoch {} is no longer the leader's", epoch));
  return {};
}

void FleetLeadership::run() {
  const core::Duration tick = std::min(cluster_.sync_interval, decider_.timing().renew_every);
  for (;;) {
    step(core::steady_now());
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, tick, [this] { return stop_ || changed_; });
    if (stop_) return;
  }
}

void FleetLeadership::become_follower(std::string why, core::TimePoint now) {
  decider_.lost(now);
  leader_.store(false);
  spdlog::warn("cluster: {} is no longer the fleet leader (epoch {}): {}", replica_, epoch_.load(), why);
  last_table_.clear();  // read the new leader's table afresh
  if (hooks_.stand_down) hooks_.stand_down(std::move(why));
}

void FleetLeadership::step(core::TimePoint now) {
  switch (decider_.next(now)) {
    case LeaseDecider::Step::kWait: break;
    case LeaseDecider::Step::kStepDown:
      become_follower(fmt::format("the lease was not renewed within {} ms", ms(decider_.timing().ttl).count()), now);
      break;
    case LeaseDecider::Step::kRenew: {
      auto renewed = lease_.renew(decider_.epoch(), decider_.timing().ttl);
      if (!renewed) {
        spdlog::warn("cluster: lease renew failed: {}", renewed.error());
      } else if (*renewed) {
        decider_.renewed(now);
      } else {
        become_follower("another replica holds the lease", now);
      }
      break;
    }
    case LeaseDecider::Step::kAcquire: {
      auto won = lease_.try_acquire(decider_.timing().ttl);
      if (!won) {
        if (!redis_down_logged_) spdlog::warn("cluster: cannot reach Redis for the fleet lease: {}", won.error());
        redis_down_logged_ = true;
        decider_.attempt_failed(now);
        break;
      }
      redis_down_logged_ = false;
      if (!won->has_value()) {
        decider_.attempt_failed(now);
        if (auto h = lease_.holder(); h && h->has_value()) {
          set_leader_id((*h)->replica);
          epoch_.store((*h)->epoch);
        }
        break;
      }
      const std::int64_t epoch = **won;
      decider_.acquired(now, epoch);
      std::string table;
      if (auto r = redis_.command({"GET", prefix_ + "table"}); r && r->type == RedisReply::Type::kString) {
        table = r->text;
      }
      epoch_.store(epoch);
      leader_.store(true);
      terms_.fetch_add(1);
      set_leader_id(replica_);
      last_publish_ = core::TimePoint{};
      spdlog::info("cluster: {} is the fleet leader (epoch {})", replica_, epoch);
      if (hooks_.lead) hooks_.lead(epoch, std::move(table));
      break;
    }
  }
  publish_or_follow(now);
  if (now - last_heartbeat_ >= cluster_.sync_interval) heartbeat();
}

void FleetLeadership::publish_or_follow(core::TimePoint now) {
  if (decider_.leader()) {
    bool due = now - last_publish_ >= cluster_.sync_interval;
    {
      std::lock_guard lock(mu_);
      due = due || changed_;
      changed_ = false;
    }
    if (!due || !hooks_.snapshot) return;
    const std::optional<std::string> table = hooks_.snapshot(decider_.epoch());
    if (!table) return;
    auto written = lease_.fenced_set(decider_.epoch(), prefix_ + "table", *table);
    if (written && !*written) {
      become_follower("another replica holds the lease (fenced write refused)", now);
    } else if (written) {
      last_publish_ = now;
      has_table_.store(true);
    }
    return;
  }
  {
    std::lock_guard lock(mu_);
    changed_ = false;
  }
  auto r = redis_.command({"GET", prefix_ + "table"});
  if (!r || r->type != RedisReply::Type::kString) return;
  if (r->text == last_table_) return;
  last_table_ = r->text;
  if (hooks_.follow) hooks_.follow(last_table_);
  has_table_.store(true);
}

void FleetLeadership::heartbeat() {
  last_heartbeat_ = core::steady_now();
  const std::int64_t now_ms = unix_ms_now();
  (void)redis_.command({"ZADD", prefix_ + "replicas", std::to_string(now_ms), replica_});
  // Replicas gone for ten heartbeat lifetimes are dropped from the set.
  (void)redis_.command({"ZREMRANGEBYSCORE", prefix_ + "replicas", "-inf",
                        std::to_string(now_ms - 10 * ms(cluster_.replica_ttl).count())});
}

void FleetLeadership::render_metrics(std::string& out) const {
  obs::render_header(out, "sluice_cluster_leader", "gauge",
                     "1 on the replica that holds the fleet lease and drives the providers, 0 on followers.");
  out += fmt::format("sluice_cluster_leader{{replica=\"{}\"}} {}\n", replica_, leader_.load() ? 1 : 0);
  obs::render_header(out, "sluice_cluster_leader_epoch", "gauge",
                     "The fencing epoch of the current fleet leader's lease, as this replica last saw it (0: none seen).");
  out += fmt::format("sluice_cluster_leader_epoch {}\n", epoch_.load());
  obs::render_header(out, "sluice_cluster_leader_terms_total", "counter",
                     "Times this replica became the fleet leader.");
  out += fmt::format("sluice_cluster_leader_terms_total {}\n", terms_.load());
}

}  // namespace sluice::cluster
