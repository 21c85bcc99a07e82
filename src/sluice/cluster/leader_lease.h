#pragma once
/// The fleet leader's lease in Redis, with a fencing token.
///
/// - Acquire: `SET lease "<epoch> <replica>" NX PX ttl`, where the epoch is
///   a fresh `INCR` of the epoch key taken in the same server-side script:
///   every acquisition, by anyone, gets a larger epoch (the fencing token).
/// - Renew: a script extends the lease only while its value is still ours
///   (our epoch and name), so a leader whose lease expired and was taken
///   cannot extend the new holder's.
/// - A leader that has not renewed by `sent + ttl - margin` (where `sent` is
///   when its last successful renew was *sent*, so before Redis started the
///   new TTL) steps down on its own: it stops driving providers before
///   Redis can hand the lease to anyone else.
/// - Actions carry the epoch: fenced writes (the published routing table)
///   and provider actions check that the lease still holds our value first.
///
/// LeaseDecider is the pure part (when to acquire, renew, step down, given
/// now and the last successful renew), tested with a manual clock;
/// RedisLease is the Redis part, tested against a real redis-server.
#include <cstdint>
#include <expected>
#include <optional>
#include <string>

#include "sluice/cluster/redis_connection.h"
#include "sluice/core/clock.h"

namespace sluice::cluster {

/// How the lease is timed.
struct LeaseTiming {
  /// The lease's TTL in Redis: a dead leader is replaced within about this
  /// long (plus one retry interval).
  core::Duration ttl = std::chrono::seconds(2);
  /// A leader renews this often (a third of the TTL: two renews may fail
  /// before it must step down).
  core::Duration renew_every = std::chrono::milliseconds(666);
  /// A leader steps down this long before its lease could expire in Redis
  /// (slack for clock rate differences between the replica and Redis).
  core::Duration margin = std::chrono::milliseconds(200);
  /// A follower tries to acquire this often.
  core::Duration retry_every = std::chrono::milliseconds(100);

  /// renew_every = ttl / 3, margin = ttl / 10, retry_every = `retry`.
  static LeaseTiming from(core::Duration ttl, core::Duration retry);
};

/// When to acquire, renew or step down. Pure: time is an argument.
/// Thread-safety: none (the leadership thread owns it).
class LeaseDecider {
 public:
  enum class Step { kWait, kAcquire, kRenew, kStepDown };

  explicit LeaseDecider(LeaseTiming timing) : timing_(timing) {}

  /// What to do at `now`. A leader whose lease is no longer safe steps down
  /// (before anything else); one due a renew renews (on every call until a
  /// renew succeeds); a follower tries to acquire every retry_every.
  Step next(core::TimePoint now) const;

  /// An acquire sent at `sent` won the lease with `epoch`.
  void acquired(core::TimePoint sent, std::int64_t epoch);
  /// A renew sent at `sent` succeeded.
  void renewed(core::TimePoint sent);
  /// An acquire attempt at `now` failed (held by another, or Redis away).
  void attempt_failed(core::TimePoint now);
  /// The lease is gone (stepped down, a renew found another holder, released).
  void lost(core::TimePoint now);

  bool leader() const { return leader_; }
  std::int64_t epoch() const { return epoch_; }
  /// Until when a leader may act: its last renew's send time + ttl - margin.
  core::TimePoint valid_until() const { return renewed_sent_ + timing_.ttl - timing_.margin; }
  const LeaseTiming& timing() const { return timing_; }

 private:
  LeaseTiming timing_;
  bool leader_ = false;
  std::int64_t epoch_ = 0;
  core::TimePoint renewed_sent_{};
  std::optional<core::TimePoint> last_attempt_;
};

/// Who holds the lease.
struct LeaseHolder {
  std::int64_t epoch = 0;
  std::string replica;
};

/// The lease's Redis operations. Keys: `<prefix>leader` (the lease, value
/// "<epoch> <replica>") and `<prefix>epoch` (the fencing counter).
/// Thread-safety: none; it borrows a connection of the calling thread.
class RedisLease {
 public:
  RedisLease(RedisConnection& redis, std::string prefix, std::string replica);

  /// Takes the lease when nobody holds it: its epoch, or nullopt when
  /// another replica holds it (then holder() says who).
  std::expected<std::optional<std::int64_t>, std::string> try_acquire(core::Duration ttl);
  /// Extends our lease of `epoch`: false when it is no longer ours.
  std::expected<bool, std::string> renew(std::int64_t epoch, core::Duration ttl);
  /// Gives our lease of `epoch` up (a clean shutdown), so a follower takes
  /// over at its next attempt instead of after the TTL.
  std::expected<void, std::string> release(std::int64_t epoch);
  /// Whether the lease still holds our value for `epoch` (the fencing check
  /// before a provider action).
  std::expected<bool, std::string> holds(std::int64_t epoch);
  /// The current holder, if any.
  std::expected<std::optional<LeaseHolder>, std::string> holder();
  /// Sets `key` to `value` only while our lease of `epoch` holds (a fenced
  /// write): false, and nothing written, when it does not.
  std::expected<bool, std::string> fenced_set(std::int64_t epoch, const std::string& key, const std::string& value);

  const std::string& lease_key() const { return lease_key_; }
  const std::string& replica() const { return replica_; }
  /// "<epoch> <replica>".
  std::string value_for(std::int64_t epoch) const;

 private:
  RedisConnection& redis_;
  std::string lease_key_;
  std::string epoch_key_;
  std::string replica_;
};

/// "7 gw-a" → {7, "gw-a"}; nullopt when malformed.
std::optional<LeaseHolder> parse_lease_value(const std::string& value);

}  // namespace sluice::cluster
