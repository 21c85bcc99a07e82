#pragma once
/// The table the data path reads to find a model's instances. A RoutingTable
/// is an immutable snapshot (published through core::Snapshot); the per-
/// instance load counters inside it are atomics the data path updates.
#include <array>
#include <atomic>
#include <cstdint>
#include <limits>
#include <memory>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "sluice/core/ids.h"

namespace sluice::health {
class CircuitBreaker;
}
namespace sluice::net {
class UpstreamTls;  // net/tls.h: carried here, used only by the I/O that connects
}

namespace sluice::balance {

/// Per-instance counters for metrics, written where the event happens.
struct InstanceCounters {
  /// Ejections by health::EjectReason (consecutive_5xx,
  /// consecutive_gateway_failure, failure_percentage).
  std::array<std::atomic<std::uint64_t>, 3> ejections{};
  /// Failed tries on this instance that were retried elsewhere, by cause
  /// (proxy::kRetryCauses order: connect_failure, refused, reset, per_try_timeout, status).
  std::array<std::atomic<std::uint64_t>, 5> retries{};
  std::atomic<std::uint64_t> tries{0};  // tries sent to the instance
  /// Tries answered without a server error (the fleet's recovery clock: a
  /// replacement's first success).
  std::atomic<std::uint64_t> successes{0};
};

/// One upstream engine instance. Shared between successive routing tables so
/// its counters survive a republish. Thread-safety: counters are atomics.
struct Instance {
  std::uint64_t serial = 0;    // unique for the process lifetime (pool keys)
  core::InstanceId id;         // "llama-3.1-8b-instruct/0"
  std::string host;            // "127.0.0.1"
  std::uint16_t port = 0;
  std::string base_path;       // "" or "/prefix" (no trailing slash)
  /// How to speak TLS to an https endpoint (certificate checks); null = plain http.
  std::shared_ptr<net::UpstreamTls> tls;
  std::uint32_t weight = 1;    // weighted_round_robin share
  bool backup = false;         // used only while no primary is usable
  std::atomic<std::int64_t> outstanding{0};  // requests in flight through this gateway
  std::atomic<bool> available{true};         // false once it has exited or been removed
  /// Most requests in flight the engine's own load allows, from its last
  /// scraped metrics (see balance::engine_limit); no limit until known.
  std::atomic<std::int64_t> engine_limit{std::numeric_limits<std::int64_t>::max()};
  /// KV-cache use (0..1) from the engine's last scraped metrics; negative
  /// while unknown. Reported as sluice_instance_kv_cache_usage_ratio.
  std::atomic<double> kv_usage{-1.0};
  /// Estimated tokens (input + max output) of the requests in flight here
  /// (least_tokens).
  std::atomic<std::int64_t> outstanding_tokens{0};
  /// Health as the picker sees it: the active checks' verdict, and the end
  /// of an outlier ejection (steady-clock nanoseconds; ejected while the
  /// pick's now is before it). See RoomLimits::now_ns and ::panic.
  std::atomic<bool> check_healthy{true};
  std::atomic<std::int64_t> ejected_until_ns{0};
  /// Progress, for the try watch (health/try_watch.h): steady-clock ns of
  /// the instance's last stream event or finished answer (0: none yet), and
  /// the usual gap between them (a moving average; 0: unknown).
  mutable std::atomic<std::int64_t> last_event_ns{0};
  mutable std::atomic<std::int64_t> event_gap_ns{0};
  /// The last canary sent to it, and when one went unanswered (0: never).
  mutable std::atomic<std::int64_t> canary_sent_ns{0};
  mutable std::atomic<std::int64_t> canary_lost_ns{0};
  /// The context length the engine reported (GET /v1/models); 0 = unknown.
  std::atomic<std::int64_t> max_model_len{0};
  /// Hard caps on connections, in-flight and pending requests; null = none.
  std::shared_ptr<health::CircuitBreaker> breaker;
  mutable InstanceCounters counters;  // metrics, counted through const references too

  /// Records an event at `now_ns` (gaps over 10 s, idle times, are not averaged in).
  void note_event(std::int64_t now_ns) const {
    const std::int64_t prev = last_event_ns.exchange(now_ns, std::memory_order_relaxed);
    const std::int64_t gap = now_ns - prev;
    if (prev <= 0 || gap < 0 || gap > 10'000'000'000) return;
    const std::int64_t avg = event_gap_ns.load(std::memory_order_relaxed);
    event_gap_ns.store(avg + (gap - avg) / 8, std::memory_order_relaxed);
  }
  bool usable(std::int64_t now_ns) const {
    return check_healthy.load(std::memory_order_relaxed) && now_ns >= ejected_until_ns.load(std::memory_order_relaxed);
  }
};

/// When an instance may take one more request: below `max_in_flight`
/// requests from this gateway, and — where its metrics are known — below the
/// limit they imply: no more than `max_engine_waiting` requests queued inside
/// the engine, and nothing more while KV-cache use is above `max_kv_usage`.
/// Keeps the queue, and so fairness, in the gateway rather than in the engine.
struct RoomLimits {
  std::int64_t max_in_flight = 256;
  std::int64_t max_engine_waiting = 4;
  double max_kv_usage = 0.98;
  /// Set by the caller for each pick: an instance that is not usable at
  /// `now_ns` (failing its active checks, or ejected) has no room, unless
  /// the pool is in panic (health/panic.h), when every available instance
  /// may be used.
  std::int64_t now_ns = 0;
  bool panic = false;
};

struct ModelRoute {
  std::string name;             // client-facing model name
  std::string upstream_model;   // name sent upstream
  bool cache_salt = true;
  std::int64_t default_max_tokens = 256;
  std::int64_t max_model_len = 0;  // context length (prompt + completion); 0 = unknown, not checked
  std::size_t index = 0;        // position in the config's model list (metrics)
  RoomLimits room;
  std::vector<std::shared_ptr<Instance>> instances;
};

struct RoutingTable {
  std::vector<ModelRoute> models;
  std::unordered_map<std::string, std::size_t> by_name;

  const ModelRoute* find(std::string_view name) const {
    auto it = by_name.find(std::string(name));
    return it == by_name.end() ? nullptr : &models[it->second];
  }
  /// Rebuilds `by_name` after `models` changed.
  void index() {
    by_name.clear();
    for (std::size_t i = 0; i < models.size(); ++i) by_name.emplace(models[i].name, i);
  }
};

/// Process-unique instance serials.
std::uint64_t next_instance_serial();

/// Whether `instances` are exactly the instances of `serials`, in that
/// order: state kept per position (tables, detectors) is still valid.
bool same_instances(std::span<const std::shared_ptr<Instance>> instances, std::span<const std::uint64_t> serials);

}  // namespace sluice::balance

namespace sluice::balance {

/// A copy of `table` without the instances that are no longer available
/// (exited, removed). Instances are shared, so their counters carry over.
std::shared_ptr<const RoutingTable> without_unavailable(const RoutingTable& table);

/// The models of `table` (all, or those named in `only` when it is not
/// empty) that have no instance able to take a request at `now_ns`: none in
/// rotation that passes its active checks and is not ejected. In table order.
std::vector<std::string> models_without_instance(const RoutingTable& table, std::int64_t now_ns,
                                                 std::span<const std::string> only = {});

}  // namespace sluice::balance
