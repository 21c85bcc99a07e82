#pragma once
/// How the quota ledger's limits are shared when several gateway replicas
/// serve the same tenants (cluster/shared_limits.h does the Redis side).
///
/// kLeased: each requests-per-minute and tokens-per-minute bucket lives once,
/// in Redis; a replica holds a lease — tokens it took from the shared bucket
/// ahead of time — and admits from it with no Redis call. When the lease
/// cannot cover a request, the admission asks for more (LeaseNeed): one
/// Redis call that takes all of it or nothing, so the shared bucket never
/// goes below zero for an admission and the limit holds across replicas.
/// Unused leases go back when a tenant is idle. Concurrency works the same
/// way with slots: a replica holds as many slots as it has requests in
/// flight, taking one from Redis when it needs more, giving back the spare.
///
/// kLocal: alone (replicas = 1), or Redis is unreachable and the fallback is
/// `local`: each replica enforces every limit divided by the live replicas.
/// kClosed: Redis is unreachable and the fallback is `closed`: requests of
/// tenants with limits are refused (503) until it is back.
///
/// Pure. Thread-safety: QuotaSharing's members are atomics, set by the
/// cluster thread and read by every admission.
#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

namespace sluice::tenancy {

enum class QuotaMode { kLocal, kLeased, kClosed };

struct QuotaSharing {
  std::atomic<QuotaMode> mode{QuotaMode::kLocal};
  /// kLocal: every limit is divided by this (the live replicas, at least 1).
  std::atomic<int> replicas{1};
  /// The share of a per-minute limit taken ahead of time with each lease.
  double lease_fraction = 0.01;
  /// Bumped each time the replica leaves kLeased: local buckets then start
  /// from what the replica still held of its leases, never full, so falling
  /// back never admits more than sharing would have.
  std::atomic<std::uint64_t> fallbacks{0};
};

/// One shared bucket (or slot count) a lease request touches.
struct LeaseItem {
  enum class Kind { kRequests, kTokens, kSlots };
  Kind kind = Kind::kRequests;
  int scope = 0;      // 0: the tenant's limits; 1: its limits for the model
  std::string key;    // where it lives in Redis (unique per tenant, model and kind)
  std::int64_t limit = 0;
  double need = 0;    // must be there for the request to pass
  double want = 0;    // need + the lease taken ahead (≥ need)
};

/// What an admission needs from the shared buckets: all of it, or nothing.
struct LeaseNeed {
  std::vector<LeaseItem> items;
};

/// The shared buckets' answer, item by item.
struct LeaseGrant {
  bool granted = false;
  std::vector<double> amounts;  // taken, per item (0 when not granted)
  std::vector<double> left;     // what the shared bucket holds after it, per item
  std::int64_t retry_after_ms = 0;  // not granted: until the scarcest item could be
};

/// A lease going back to its shared bucket (negative: tokens used beyond
/// what was reserved, owed to the bucket), or spare slots.
struct LeaseReturn {
  LeaseItem::Kind kind = LeaseItem::Kind::kRequests;
  std::string key;
  std::int64_t limit = 0;
  double amount = 0;
};

}  // namespace sluice::tenancy
