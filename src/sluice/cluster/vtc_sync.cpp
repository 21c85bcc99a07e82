#include "sluice/cluster/vtc_sync.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <charconv>
#include <condition_variable>
#include <mutex>
#include <unordered_map>

namespace sluice::cluster {
namespace {

/// KEYS: the model's counters hash, its waiting hash. ARGV: replica id,
/// waiting TTL (ms), then per tenant: id, delta, this replica's counter,
/// waiting (1/0). Totals += delta, at least the replica's counter (a lift,
/// or a Redis that lost its data); a waiting flag is "tenant\nreplica" →
/// expiry (ms, Redis's clock). Returns {counters (HGETALL), tenants waiting
/// on other replicas}; lapsed flags are removed on the way.
constexpr const char* kScript = R"lua(
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local me = ARGV[1]
local ttl = tonumber(ARGV[2])
for i = 3, #ARGV, 4 do
  local tenant = ARGV[i]
  local total = tonumber(redis.call('HGET', KEYS[1], tenant) or '0') + tonumber(ARGV[i + 1])
  local mine = tonumber(ARGV[i + 2])
  if mine > total then total = mine end
  redis.call('HSET', KEYS[1], tenant, string.format('%.17g', total))
  local field = tenant .. '\n' .. me
  if ARGV[i + 3] == '1' then
    redis.call('HSET', KEYS[2], field, string.format('%d', now + ttl))
  else
    redis.call('HDEL', KEYS[2], field)
  end
end
local waiting = {}
local flags = redis.call('HGETALL', KEYS[2])
for i = 1, #flags, 2 do
  if tonumber(flags[i + 1]) > now then
    local nl = string.find(flags[i], '\n', 1, true)
    if nl and string.sub(flags[i], nl + 1) ~= me then
      table.insert(waiting, string.sub(flags[i], 1, nl - 1))
    end
  else
    redis.call('HDEL', KEYS[2], flags[i])
  end
end
redis.call('PEXPIRE', KEYS[1], 86400000)
redis.call('PEXPIRE', KEYS[2], 86400000)
return {redis.call('HGETALL', KEYS[1]), waiting}
)lua";

std::optional<double> parse_double(const std::string& text) {
  double v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return v;
}

}  // namespace

VtcSync::VtcSync(VtcSyncConfig config, std::vector<FairnessPool> pools,
                 std::function<std::vector<std::string>()> tenant_ids)
    : config_(std::move(config)), pools_(std::move(pools)), tenant_ids_(std::move(tenant_ids)),
      redis_(config_.address, config_.timeout), script_(kScript), carry_(pools_.size()),
      waiting_(pools_.size()) {}

VtcSync::~VtcSync() { stop(); }

void VtcSync::start() {
  if (thread_.joinable()) return;
  thread_ = std::jthread([this](std::stop_token stop) {
    std::mutex mu;
    std::condition_variable_any wake;
    auto next = std::chrono::steady_clock::now();
    while (!stop.stop_requested()) {
      sync_once();
      next += config_.interval;
      const auto now = std::chrono::steady_clock::now();
      if (next < now) next = now;  // a slow sync (Redis timing out) does not queue up syncs
      std::unique_lock lock(mu);
      wake.wait_until(lock, stop, next, [] { return false; });
    }
  });
}

void VtcSync::stop() {
  if (!thread_.joinable()) return;
  thread_.request_stop();
  thread_.join();
}

bool VtcSync::sync_once() {
  const std::vector<std::string> ids = tenant_ids_();
  bool ok = true;
  std::string error;
  for (std::size_t i = 0; i < pools_.size(); ++i) {
    if (!sync_pool(i, ids, error)) ok = false;
  }
  if (ok) {
    syncs_.fetch_add(1, std::memory_order_relaxed);
    resend_all_ = false;
    if (!synced_.load(std::memory_order_relaxed)) {
      if (warned_) spdlog::info("fleet-wide fairness: Redis is back; fair-queue counters are shared again");
      warned_ = false;
      synced_.store(true, std::memory_order_relaxed);
    }
    return true;
  }
  failures_.fetch_add(1, std::memory_order_relaxed);
  resend_all_ = true;
  if (!warned_) {
    spdlog::warn("fleet-wide fairness: {}; each replica is fair on its own until Redis answers again", error);
    warned_ = true;
  }
  synced_.store(false, std::memory_order_relaxed);
  for (auto& pool : pools_) pool.clear();
  return false;
}

bool VtcSync::sync_pool(std::size_t index, const std::vector<std::string>& ids, std::string& error) {
  FairnessPool& pool = pools_[index];
  auto& carry = carry_[index];
  for (const sched::CounterSync& c : pool.take(resend_all_)) {
    Carry& k = carry[c.tenant];
    k.delta += c.delta;
    k.counter = c.counter;
    k.waiting = c.waiting;
    if (c.waiting) {
      waiting_[index][c.tenant] = c.counter;
    } else {
      waiting_[index].erase(c.tenant);
    }
  }
  for (const auto& [slot, counter] : waiting_[index]) {
    if (!carry.contains(slot)) carry[slot] = Carry{.delta = 0, .counter = counter, .waiting = true};
  }
  std::vector<std::string> args{config_.replica_id, std::to_string(config_.waiting_ttl.count())};
  args.reserve(2 + 4 * carry.size());
  for (const auto& [slot, k] : carry) {
    if (slot >= ids.size()) continue;
    args.push_back(ids[slot]);
    args.push_back(fmt::format("{:.17g}", k.delta));
    args.push_back(fmt::format("{:.17g}", k.counter));
    args.push_back(k.waiting ? "1" : "0");
  }
  const std::string keys[] = {config_.key_prefix + pool.model + ":counters",
                              config_.key_prefix + pool.model + ":waiting"};
  auto reply = redis_.eval(script_, keys, args);
  if (!reply) {
    error = reply.error();
    return false;  // the carry is sent next time
  }
  if (reply->is_error() || reply->type != RedisReply::Type::kArray || reply->elements.size() != 2) {
    error = fmt::format("unexpected reply to the fairness script: {}", reply->text);
    return false;
  }
  carry.clear();
  std::unordered_map<std::string_view, std::uint32_t> slot_of;
  for (std::uint32_t s = 0; s < ids.size(); ++s) slot_of.emplace(ids[s], s);
  sched::GlobalCounters global{.slack = config_.slack};
  const auto& counters = reply->elements[0].elements;
  for (std::size_t i = 0; i + 1 < counters.size(); i += 2) {
    const auto it = slot_of.find(counters[i].text);
    const auto value = parse_double(counters[i + 1].text);
    if (it != slot_of.end() && value) global.counters.emplace_back(it->second, *value);
  }
  for (const auto& name : reply->elements[1].elements) {
    if (const auto it = slot_of.find(name.text); it != slot_of.end()) global.waiting_elsewhere.push_back(it->second);
  }
  pool.merge(global);
  return true;
}

}  // namespace sluice::cluster
