#include "sluice/cluster/shared_limits.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <charconv>
#include <chrono>

#include "sluice/core/clock.h"
#include "sluice/obs/histogram.h"

namespace sluice::cluster {
namespace {

using tenancy::LeaseItem;

constexpr std::string_view kReplicas = "sluice:replicas";

/// Takes every item of a lease request, or none. KEYS[1]: the replica set;
/// KEYS[1+i]: item i. ARGV: replica, ttl_ms, then per item kind, limit,
/// need, want. Rate buckets refill continuously at limit/60 s by Redis's
/// clock (one clock for every replica); slot counts sum the live replicas'
/// holdings and forget dead ones. Returns ok, wait_ms, then per item taken
/// and left.
const RedisScript& take_script() {
  static const RedisScript script(R"lua(
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local me, ttl = ARGV[1], tonumber(ARGV[2])
local n = #KEYS - 1
local level, ok, wait = {}, true, 0
for i = 1, n do
  local base = 3 + (i - 1) * 4
  local kind, limit, need = ARGV[base], tonumber(ARGV[base + 1]), tonumber(ARGV[base + 2])
  local key = KEYS[i + 1]
  if kind == 'c' then
    local held = 0
    local all = redis.call('HGETALL', key)
    for j = 1, #all, 2 do
      local seen = redis.call('ZSCORE', KEYS[1], all[j])
      if all[j] == me or (seen and now - tonumber(seen) <= ttl) then
        held = held + tonumber(all[j + 1])
      else
        redis.call('HDEL', key, all[j])
      end
    end
    level[i] = limit - held
  else
    local h = redis.call('HMGET', key, 'level', 'ts')
    local l, ts = tonumber(h[1]), tonumber(h[2])
    if l == nil then l, ts = limit, now end
    level[i] = math.min(limit, l + math.max(0, now - ts) * limit / 60000)
  end
  if level[i] < need then
    ok = false
    local w = 1000
    if kind ~= 'c' then w = math.ceil((need - level[i]) * 60000 / limit) end
    if w > wait then wait = w end
  end
end
local out = {ok and 1 or 0, wait}
for i = 1, n do
  local base = 3 + (i - 1) * 4
  local kind, need, want = ARGV[base], tonumber(ARGV[base + 2]), tonumber(ARGV[base + 3])
  local key = KEYS[i + 1]
  local got = 0
  if ok then
    if kind == 'c' then
      got = need
      redis.call('HINCRBY', key, me, got)
    else
      got = math.max(need, math.floor(math.min(want, level[i])))
    end
  end
  if kind ~= 'c' then
    redis.call('HSET', key, 'level', tostring(level[i] - got), 'ts', tostring(now))
    redis.call('PEXPIRE', key, 120000)
  end
  out[#out + 1] = tostring(got)
  out[#out + 1] = tostring(level[i] - got)
end
return out
)lua");
  return script;
}

/// Renews the heartbeat, gives leases back (a negative amount is owed and
/// taken), frees spare slots; returns the live replicas. KEYS[1]: the replica
/// set; KEYS[1+i]: item i. ARGV: replica, ttl_ms, then per item kind, limit,
/// amount.
const RedisScript& sync_script() {
  static const RedisScript script(R"lua(
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local me, ttl = ARGV[1], tonumber(ARGV[2])
redis.call('ZADD', KEYS[1], now, me)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - 10 * ttl)
for i = 1, #KEYS - 1 do
  local base = 3 + (i - 1) * 3
  local kind, limit, amount = ARGV[base], tonumber(ARGV[base + 1]), tonumber(ARGV[base + 2])
  local key = KEYS[i + 1]
  if kind == 'c' then
    if redis.call('HINCRBY', key, me, -amount) <= 0 then redis.call('HDEL', key, me) end
  else
    local h = redis.call('HMGET', key, 'level', 'ts')
    local l, ts = tonumber(h[1]), tonumber(h[2])
    if l == nil then l, ts = limit, now end
    l = math.min(limit, l + math.max(0, now - ts) * limit / 60000)
    redis.call('HSET', key, 'level', tostring(math.min(limit, l + amount)), 'ts', tostring(now))
    redis.call('PEXPIRE', key, 120000)
  end
end
return redis.call('ZCOUNT', KEYS[1], now - ttl, '+inf')
)lua");
  return script;
}

/// Removes this replica: its slots and its heartbeat.
const RedisScript& leave_script() {
  static const RedisScript script("redis.call('ZREM', KEYS[1], ARGV[1]) return 1");
  return script;
}

std::string_view kind_code(LeaseItem::Kind kind) {
  switch (kind) {
    case LeaseItem::Kind::kRequests: return "r";
    case LeaseItem::Kind::kTokens: return "t";
    case LeaseItem::Kind::kSlots: return "c";
  }
  return "r";
}

std::string number(double v) {
  if (v == static_cast<double>(static_cast<std::int64_t>(v))) return std::to_string(static_cast<std::int64_t>(v));
  return fmt::format("{:.6f}", v);
}

double parse_double(const RedisReply& r) {
  if (r.type == RedisReply::Type::kInteger) return static_cast<double>(r.integer);
  double v = 0;
  std::from_chars(r.text.data(), r.text.data() + r.text.size(), v);
  return v;
}

std::int64_t ttl_ms(const config::ClusterConfig& c) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(c.replica_ttl).count();
}

std::chrono::milliseconds timeout_of(const config::ClusterConfig& c) {
  return std::max(std::chrono::milliseconds(1),
                  std::chrono::duration_cast<std::chrono::milliseconds>(c.redis_timeout));
}

}  // namespace

std::string default_replica_id() {
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  return fmt::format("{}-{}", host, ::getpid());
}

SharedLimits::SharedLimits(const config::ClusterConfig& config, std::string replica_id,
                           std::shared_ptr<tenancy::QuotaSharing> sharing,
                           std::function<std::shared_ptr<tenancy::QuotaLedger>()> ledger)
    : config_(config),
      replica_id_(replica_id.empty() ? default_replica_id() : std::move(replica_id)),
      sharing_(std::move(sharing)),
      ledger_(std::move(ledger)),
      address_(parse_redis_url(config.redis).value_or(RedisAddress{})) {
  sharing_->lease_fraction = config.lease_fraction;
}

SharedLimits::~SharedLimits() { stop(); }

void SharedLimits::start() {
  {
    RedisConnection redis(address_, timeout_of(config_));
    if (!sync_once(redis)) mark_down("not reachable at start");
  }
  lease_thread_ = std::thread([this] { lease_loop(); });
  sync_thread_ = std::thread([this] { sync_loop(); });
}

void SharedLimits::stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  cv_.notify_all();
  if (lease_thread_.joinable()) lease_thread_.join();
  if (sync_thread_.joinable()) sync_thread_.join();
  // Everything held goes back, and this replica leaves the live set.
  RedisConnection redis(address_, timeout_of(config_));
  if (up_.load() && sync_once(redis)) {  // while still leased: collect_returns() gives back only then
    const std::string keys[] = {std::string(kReplicas)};
    const std::string args[] = {replica_id_};
    (void)redis.eval(leave_script(), keys, args);
  }
  sharing_->mode.store(tenancy::QuotaMode::kLocal);  // no new leases once left
}

void SharedLimits::take(tenancy::LeaseNeed need, LeaseCallback done) {
  {
    std::lock_guard lock(mu_);
    if (!stopping_ && jobs_.size() < 100'000) {
      jobs_.push_back(Job{std::move(need), std::move(done)});
      cv_.notify_all();
      return;
    }
  }
  done(std::unexpected(std::string("shared limits are stopping or overloaded")));
}

void SharedLimits::lease_loop() {
  RedisConnection redis(address_, timeout_of(config_));
  const std::int64_t ttl = ttl_ms(config_);
  for (;;) {
    Job job;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
      if (jobs_.empty()) return;  // stopping, nothing left
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    std::vector<std::string> keys{std::string(kReplicas)};
    std::vector<std::string> args{replica_id_, std::to_string(ttl)};
    for (const auto& item : job.need.items) {
      keys.push_back("sluice:q:" + item.key);
      args.emplace_back(kind_code(item.kind));
      args.push_back(std::to_string(item.limit));
      args.push_back(number(item.need));
      args.push_back(number(item.want));
    }
    auto reply = redis.eval(take_script(), keys, args);
    if (!reply || reply->is_error() || reply->elements.size() != 2 + 2 * job.need.items.size()) {
      const std::string why = !reply ? reply.error() : reply->is_error() ? reply->text : "malformed reply";
      redis_errors_.fetch_add(1, std::memory_order_relaxed);
      mark_down(why);
      job.done(std::unexpected(why));
      continue;
    }
    tenancy::LeaseGrant grant;
    grant.granted = reply->elements[0].as_int() == 1;
    grant.retry_after_ms = reply->elements[1].as_int();
    for (std::size_t i = 0; i < job.need.items.size(); ++i) {
      grant.amounts.push_back(parse_double(reply->elements[2 + 2 * i]));
      grant.left.push_back(parse_double(reply->elements[3 + 2 * i]));
    }
    takes_.fetch_add(1, std::memory_order_relaxed);
    if (!grant.granted) take_refusals_.fetch_add(1, std::memory_order_relaxed);
    job.done(std::move(grant));
  }
}

bool SharedLimits::sync_once(RedisConnection& redis) {
  std::vector<tenancy::LeaseReturn> returns;
  if (auto ledger = ledger_()) {
    // Leases idle for four sync intervals (at least 100 ms) go back; spare slots at once.
    const auto idle = std::max<core::Duration>(4 * config_.sync_interval, std::chrono::milliseconds(100));
    returns = ledger->collect_returns(core::steady_now(), stopping_ ? core::Duration::zero() : idle);
  }
  std::vector<std::string> keys{std::string(kReplicas)};
  std::vector<std::string> args{replica_id_, std::to_string(ttl_ms(config_))};
  for (const auto& r : returns) {
    keys.push_back("sluice:q:" + r.key);
    args.emplace_back(kind_code(r.kind));
    args.push_back(std::to_string(r.limit));
    args.push_back(number(r.amount));
  }
  auto reply = redis.eval(sync_script(), keys, args);
  if (!reply || reply->is_error()) {
    redis_errors_.fetch_add(1, std::memory_order_relaxed);
    mark_down(!reply ? reply.error() : reply->text);
    return false;  // what was collected is lost: it refills in the shared bucket within a minute
  }
  mark_up(static_cast<int>(reply->as_int()));
  return true;
}

void SharedLimits::sync_loop() {
  RedisConnection redis(address_, timeout_of(config_));
  std::unique_lock lock(mu_);
  while (!stopping_) {
    cv_.wait_for(lock, config_.sync_interval, [this] { return stopping_; });
    if (stopping_) break;
    lock.unlock();
    sync_once(redis);
    lock.lock();
  }
}

void SharedLimits::mark_up(int replicas) {
  sharing_->replicas.store(std::max(1, replicas));
  if (!up_.exchange(true)) {
    spdlog::info("cluster: Redis {}:{} reachable; limits shared with {} live replica(s)", address_.host,
                 address_.port, std::max(1, replicas));
  }
  sharing_->mode.store(tenancy::QuotaMode::kLeased);
}

void SharedLimits::mark_down(const std::string& why) {
  const auto fallback = config_.fallback == config::ClusterFallback::kClosed ? tenancy::QuotaMode::kClosed
                                                                             : tenancy::QuotaMode::kLocal;
  if (sharing_->mode.exchange(fallback) == tenancy::QuotaMode::kLeased) sharing_->fallbacks.fetch_add(1);
  if (up_.exchange(false) || fallbacks_.load() == 0) {
    fallbacks_.fetch_add(1, std::memory_order_relaxed);
    spdlog::error("cluster: Redis unreachable ({}); limits fall back to {}", why,
                  fallback == tenancy::QuotaMode::kClosed
                      ? std::string("closed: requests of limited tenants get 503")
                      : fmt::format("local: each limit divided by {} replica(s)", sharing_->replicas.load()));
  }
}

void SharedLimits::render_metrics(std::string& out) const {
  obs::render_header(out, "sluice_cluster_redis_up", "gauge",
                     "1 when this replica reaches Redis and its limits are shared; 0 while it runs on its fallback.");
  out += fmt::format("sluice_cluster_redis_up {}\n", up_.load() ? 1 : 0);
  obs::render_header(out, "sluice_cluster_replicas", "gauge",
                     "Live gateway replicas sharing limits (local limits are divided by it while Redis is away).");
  out += fmt::format("sluice_cluster_replicas {}\n", sharing_->replicas.load());
  obs::render_header(out, "sluice_cluster_lease_takes_total", "counter",
                     "Admissions that asked Redis for a lease of shared limits.");
  out += fmt::format("sluice_cluster_lease_takes_total {}\n", takes_.load());
  obs::render_header(out, "sluice_cluster_lease_refusals_total", "counter",
                     "Lease requests the shared buckets refused (the tenant is at its limit across replicas).");
  out += fmt::format("sluice_cluster_lease_refusals_total {}\n", take_refusals_.load());
  obs::render_header(out, "sluice_cluster_redis_errors_total", "counter",
                     "Redis calls that failed or timed out.");
  out += fmt::format("sluice_cluster_redis_errors_total {}\n", redis_errors_.load());
}

}  // namespace sluice::cluster
