#include "sluice/cluster/leader_lease.h"

#include <charconv>
#include <fmt/format.h>

namespace sluice::cluster {

using namespace std::chrono_literals;

LeaseTiming LeaseTiming::from(core::Duration ttl, core::Duration retry) {
  LeaseTiming t;
  t.ttl = ttl;
  t.renew_every = ttl / 3;
  t.margin = ttl / 10;
  t.retry_every = retry;
  return t;
}

// ------------------------------------------------------------ decider ----

LeaseDecider::Step LeaseDecider::next(core::TimePoint now) const {
  if (leader_) {
    if (now >= valid_until()) return Step::kStepDown;
    if (now - renewed_sent_ >= timing_.renew_every) return Step::kRenew;
    return Step::kWait;
  }
  if (!last_attempt_ || now - *last_attempt_ >= timing_.retry_every) return Step::kAcquire;
  return Step::kWait;
}

void LeaseDecider::acquired(core::TimePoint sent, std::int64_t epoch) {
  leader_ = true;
  epoch_ = epoch;
  renewed_sent_ = sent;
  last_attempt_ = sent;
}

void LeaseDecider::renewed(core::TimePoint sent) {
  // A late reply to an old renew never moves the deadline back.
  if (leader_ && sent > renewed_sent_) renewed_sent_ = sent;
}

void LeaseDecider::attempt_failed(core::TimePoint now) { last_attempt_ = now; }

void LeaseDecider::lost(core::TimePoint now) {
  leader_ = false;
  last_attempt_ = now;
}

// -------------------------------------------------------------- redis ----

namespace {

std::string ms_text(core::Duration d) {
  return std::to_string(std::max<std::int64_t>(1, std::chrono::duration_cast<std::chrono::milliseconds>(d).count()));
}

std::string describe(const RedisReply& r) { return r.is_error() ? r.text : "unexpected reply"; }

// SET NX: a lease nobody holds is taken with a fresh epoch (the INCR only
// happens when the lease is free, so failed attempts do not burn epochs).
const RedisScript& acquire_script() {
  static const RedisScript script(R"lua(
local current = redis.call('GET', KEYS[1])
if current then return {0, current} end
local epoch = redis.call('INCR', KEYS[2])
local value = epoch .. ' ' .. ARGV[1]
redis.call('SET', KEYS[1], value, 'NX', 'PX', ARGV[2])
return {epoch, value}
)lua");
  return script;
}

const RedisScript& renew_script() {
  static const RedisScript script(R"lua(
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
)lua");
  return script;
}

const RedisScript& release_script() {
  static const RedisScript script(R"lua(
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
)lua");
  return script;
}

const RedisScript& fenced_set_script() {
  static const RedisScript script(R"lua(
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[2], ARGV[2])
return 1
)lua");
  return script;
}

}  // namespace

std::optional<LeaseHolder> parse_lease_value(const std::string& value) {
  const auto space = value.find(' ');
  if (space == std::string::npos || space == 0 || space + 1 >= value.size()) return std::nullopt;
  LeaseHolder h;
  const auto [end, ec] = std::from_chars(value.data(), value.data() + space, h.epoch);
  if (ec != std::errc() || end != value.data() + space) return std::nullopt;
  h.replica = value.substr(space + 1);
  return h;
}

RedisLease::RedisLease(RedisConnection& redis, std::string prefix, std::string replica)
    : redis_(redis), lease_key_(prefix + "leader"), epoch_key_(prefix + "epoch"), replica_(std::move(replica)) {}

std::string RedisLease::value_for(std::int64_t epoch) const { return fmt::format("{} {}", epoch, replica_); }

std::expected<std::optional<std::int64_t>, std::string> RedisLease::try_acquire(core::Duration ttl) {
  const std::string keys[] = {lease_key_, epoch_key_};
  const std::string args[] = {replica_, ms_text(ttl)};
  auto r = redis_.eval(acquire_script(), keys, args);
  if (!r) return std::unexpected(r.error());
  if (r->type != RedisReply::Type::kArray || r->elements.size() != 2) return std::unexpected(describe(*r));
  const std::int64_t epoch = r->elements[0].as_int();
  if (epoch <= 0) return std::optional<std::int64_t>{};
  return std::optional<std::int64_t>{epoch};
}

std::expected<bool, std::string> RedisLease::renew(std::int64_t epoch, core::Duration ttl) {
  const std::string keys[] = {lease_key_};
  const std::string args[] = {value_for(epoch), ms_text(ttl)};
  auto r = redis_.eval(renew_script(), keys, args);
  if (!r) return std::unexpected(r.error());
  if (r->type != RedisReply::Type::kInteger) return std::unexpected(describe(*r));
  return r->integer == 1;
}

std::expected<void, std::string> RedisLease::release(std::int64_t epoch) {
  const std::string keys[] = {lease_key_};
  const std::string args[] = {value_for(epoch)};
  auto r = redis_.eval(release_script(), keys, args);
  if (!r) return std::unexpected(r.error());
  if (r->is_error()) return std::unexpected(r->text);
  return {};
}

std::expected<bool, std::string> RedisLease::holds(std::int64_t epoch) {
  auto r = redis_.command({"GET", lease_key_});
  if (!r) return std::unexpected(r.error());
  if (r->is_error()) return std::unexpected(r->text);
  return r->type == RedisReply::Type::kString && r->text == value_for(epoch);
}

std::expected<std::optional<LeaseHolder>, std::string> RedisLease::holder() {
  auto r = redis_.command({"GET", lease_key_});
  if (!r) return std::unexpected(r.error());
  if (r->is_error()) return std::unexpected(r->text);
  if (r->type != RedisReply::Type::kString) return std::optional<LeaseHolder>{};
  return parse_lease_value(r->text);
}

std::expected<bool, std::string> RedisLease::fenced_set(std::int64_t epoch, const std::string& key,
                                                        const std::string& value) {
  const std::string keys[] = {lease_key_, key};
  const std::string args[] = {value_for(epoch), value};
  auto r = redis_.eval(fenced_set_script(), keys, args);
  if (!r) return std::unexpected(r.error());
  if (r->type != RedisReply::Type::kInteger) return std::unexpected(describe(*r));
  return r->integer == 1;
}

}  // namespace sluice::cluster
