#pragma once
/// The typed configuration of `sluice serve`, as loaded from YAML and
/// validated as a whole (see loader.h). Plain values: a loaded Config is
/// immutable and shared as a snapshot.
#include <cstdint>
#include <array>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "sluice/config/cluster_config.h"
#include "sluice/config/state_config.h"
#include "sluice/core/clock.h"

namespace sluice::config {

/// host:port to listen on.
struct Endpoint {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;
};

/// HTTPS on a listener: PEM certificate chain and private key files,
/// read at start and again on SIGHUP. Empty cert_file = plain HTTP.
struct TlsConfig {
  std::string cert_file;
  std::string key_file;
  bool enabled() const { return !cert_file.empty(); }

  bool operator==(const TlsConfig&) const = default;
};

struct ListenConfig {
  Endpoint api{"127.0.0.1", 8080};
  Endpoint admin{"127.0.0.1", 9090};
  TlsConfig api_tls;
  TlsConfig admin_tls;
};

/// Conditions a failed try is retried on (a bit set).
enum RetryOn : std::uint32_t {
  kRetryConnectFailure = 1u << 0,   // connect failed or timed out
  kRetryRefused = 1u << 1,          // connection refused
  kRetryReset = 1u << 2,            // reset or closed before a response, or the per-try timeout
  kRetry5xx = 1u << 3,              // any 5xx answer, and everything gateway_error covers
  kRetryGatewayError = 1u << 4,     // 502, 503, 504 answers, and connect failures, refusals, resets
  kRetryStatusCodes = 1u << 5,      // an answer whose status is in retriable_status_codes
};

/// How a request is retried (per route; `server.retry` is the default).
struct RetryPolicy {
  std::uint32_t retries = 2;  // tries after the first
  std::uint32_t retry_on = kRetryConnectFailure | kRetryRefused | kRetryReset | kRetryGatewayError | kRetry5xx;
  std::vector<int> retriable_status_codes = {503};
  /// Exponential backoff with full jitter: try n waits a random time in
  /// [0, min(backoff_max, backoff_base × 2^(n-1))].
  core::Duration backoff_base = std::chrono::milliseconds(25);
  core::Duration backoff_max = std::chrono::milliseconds(250);
  /// Retries in flight may not exceed this percent of active requests
  /// (per model) ...
  std::uint32_t budget_percent = 20;
  /// ... but this many are always allowed.
  std::uint32_t min_retry_concurrency = 3;
};

/// Time limits of one request. Zero = none.
struct TimeoutConfig {
  core::Duration total = std::chrono::seconds(600);    // whole request, all tries (504)
  core::Duration per_try{};                            // one try, until its response header
  core::Duration first_token = std::chrono::seconds(60);  // streams: until the first token
  core::Duration stream_idle = std::chrono::seconds(30);  // streams: between two chunks
};

/// Limits and timeouts of the HTTP server and the upstream client.
struct ServerConfig {
  int threads = 0;                                   // 0 = one per core
  std::uint64_t max_body_bytes = 4 * 1024 * 1024;    // 413 above
  std::uint32_t max_header_bytes = 16 * 1024;        // 431 above
  std::uint32_t max_header_count = 100;              // 431 above
  core::Duration request_read_timeout = std::chrono::seconds(30);  // 408
  core::Duration upstream_connect_timeout = std::chrono::seconds(5);
  core::Duration shutdown_grace = std::chrono::seconds(10);
  /// GET /readyz is 200 when each of these models has an instance that can
  /// take a request; empty = every model.
  std::vector<std::string> ready_models;
  std::string access_log = "-";                      // "-" = stdout, "" = off, else a file path
  /// Secret the per-tenant cache_salt is derived from. Empty = a random
  /// secret per process start (salts then change on restart, which only costs
  /// prefix-cache hits).
  std::string cache_salt_secret;
  /// Longest wait in a model's fair queue for tenants without max_queue_wait (429 queue_timeout).
  core::Duration max_queue_wait = std::chrono::seconds(60);
  /// Default retry policy and time limits of routes (and of requests no
  /// route matches). In YAML, `upstream_timeout` sets timeouts.total.
  RetryPolicy retry;
  TimeoutConfig timeouts;
  /// Tenants with metrics labels of their own; the rest are counted under
  /// tenant="_other" (obs::GatewayMetrics). 0 = no limit.
  std::int64_t max_tenant_series = 100;
};

enum class Priority { kCritical, kStandard, kBatch };

/// "critical" | "standard" | "batch", as written in the YAML.
constexpr std::string_view to_string(Priority p) {
  switch (p) {
    case Priority::kCritical: return "critical";
    case Priority::kStandard: return "standard";
    case Priority::kBatch: return "batch";
  }
  return "standard";
}

/// A tenant's quotas (or a tenant's quotas for one model). Absent = unlimited.
struct TenantLimits {
  std::optional<std::int64_t> rpm;              // requests per minute (token bucket)
  std::optional<std::int64_t> tpm;              // input + output tokens per minute (token bucket)
  std::optional<std::int64_t> max_concurrency;  // admitted, unfinished requests (queued or running)
  std::optional<std::int64_t> max_queue;        // requests waiting in the fair queue
  std::optional<core::Duration> max_queue_wait; // longest wait in the queue (else server.max_queue_wait)
  /// Running requests guaranteed in each model pool (others borrow them while idle).
  std::optional<std::int64_t> reserved_concurrency;
  /// Most running requests in each model pool, even when capacity is idle.
  std::optional<std::int64_t> concurrency_cap;
};

enum class BudgetUnit { kTokens, kUsd };
enum class BudgetPeriod { kDay, kMonth, kTotal };  // day and month are UTC calendar periods

/// A spend cap (tenancy/budget_ledger.h): `limit` tokens or US dollars per
/// period. Crossing `soft_fraction` of it raises a metric and an audit event;
/// reaching it refuses requests with 429 insufficient_quota until the period
/// resets.
struct Budget {
  double limit = 0;
  BudgetUnit unit = BudgetUnit::kUsd;
  BudgetPeriod period = BudgetPeriod::kMonth;
  double soft_fraction = 0.8;

  bool operator==(const Budget&) const = default;
};

/// Quotas of a tenant for one model, on top of its tenant-wide limits.
struct ModelLimits {
  std::string model;
  TenantLimits limits;
};

/// Queueing policy inside a priority band.
enum class SchedPolicy { kFcfs, kRoundRobin, kVtc };

/// "fcfs" | "round_robin" | "vtc", as written in the YAML.
constexpr std::string_view to_string(SchedPolicy p) {
  switch (p) {
    case SchedPolicy::kFcfs: return "fcfs";
    case SchedPolicy::kRoundRobin: return "round_robin";
    case SchedPolicy::kVtc: return "vtc";
  }
  return "vtc";
}

/// The scheduler in front of one model pool.
struct SchedulerConfig {
  SchedPolicy policy = SchedPolicy::kVtc;
  double w_input = 1.0;   // cost of an input token in the fair share
  double w_output = 2.0;  // cost of an output token
  /// A batch request queued this long is promoted to standard (aging).
  core::Duration batch_promote_after = std::chrono::seconds(60);
  /// Requests sent to one instance at once; 0 = the engine's batch size
  /// (the sim profile's max_num_seqs; 256 for static endpoints).
  std::int64_t max_in_flight_per_instance = 0;
  /// An instance whose scraped `vllm:num_requests_waiting` is above this
  /// gets no more requests until it drains (the queue belongs in the gateway).
  std::int64_t max_engine_waiting = 4;
  /// … or whose scraped KV-cache use is above this fraction.
  double max_kv_usage = 0.98;
  /// How often each instance's /metrics is scraped (an engine without
  /// /metrics is limited by max_in_flight_per_instance alone).
  core::Duration engine_metrics_interval = std::chrono::milliseconds(500);
};

/// An API key as stored: the SHA-256 of the plain key (lower-case hex). Keys
/// given as `env: NAME` are read and hashed at load time; the plain key is
/// not kept.
struct ApiKey {
  std::string sha256_hex;
  std::string source;  // "sha256" or "env:NAME", "store", for messages; never the key
  /// Stable id of a key issued through the admin API ("key_…"); "" for YAML keys.
  std::string id;
  /// Unix milliseconds after which the key is refused (rotation grace, expiry); 0 = never.
  std::int64_t expires_at_ms = 0;
  /// Spend caps of this key alone, on top of its tenant's.
  std::vector<Budget> budgets;
};

/// GPUs a tenant's dedicated models may hold at once (fleet placement
/// enforces it); 0 = no limit.
struct GpuQuota {
  int max_gpus = 0;
  double max_memory_gb = 0;

  bool operator==(const GpuQuota&) const = default;
};

struct Tenant {
  std::string id;            // [a-z0-9][a-z0-9_-]*, unique
  std::string display_name;  // defaults to id
  std::vector<ApiKey> api_keys;
  /// Model names this tenant may use; "*" = all models.
  std::vector<std::string> models;
  double weight = 1.0;
  Priority priority = Priority::kStandard;
  /// Highest priority a request may ask for with `x-sluice-priority`;
  /// defaults to `priority` (a tenant may always ask for less).
  Priority max_priority = Priority::kStandard;
  TenantLimits limits;
  std::vector<ModelLimits> model_limits;
  GpuQuota gpu_quota;
  std::vector<Budget> budgets;
  /// Where it was declared: "config" (YAML) or "store" (the admin API).
  std::string origin = "config";

  const TenantLimits* limits_for(std::string_view model) const {
    for (const auto& m : model_limits) if (m.model == model) return &m.limits;
    return nullptr;
  }
};

enum class ModelSource { kSim, kStatic, kProcess };

/// "sim" | "static" | "process", as written in the YAML.
constexpr std::string_view to_string(ModelSource s) {
  return s == ModelSource::kSim ? "sim" : s == ModelSource::kStatic ? "static" : "process";
}

/// The engine-sim profiles a `sim` model may name. The one list the loader
/// validates against; the engine area implements the profiles themselves.
inline std::span<const std::string_view> known_sim_profiles() {
  static constexpr std::array<std::string_view, 4> kProfiles = {
      "llama-3.1-8b-h100", "mistral-7b-h100", "llama-3.1-70b-4xh100", "instant"};
  return kProfiles;
}

/// A fleet of engine-sim child processes that `serve` starts itself.
struct SimSource {
  int instances = 1;
  std::string profile;        // engine-sim profile name, e.g. "llama-3.1-8b-h100"
  double speedup = 1.0;       // engine-sim --speedup
  std::uint64_t seed = 0;     // engine-sim --seed (each instance adds its index)
  /// The last `backup_instances` of the instances are backups: used only
  /// while no primary is usable.
  int backup_instances = 0;
};

/// One endpoint run elsewhere. In YAML either a URL string or a map
/// `{url, weight, backup}`.
struct StaticEndpoint {
  std::string url;          // base URL, http://host:port[/prefix], no trailing slash
  std::uint32_t weight = 1; // weighted_round_robin share (1..1000)
  bool backup = false;      // used only while no primary instance is usable
};

/// Engines sluice starts on this machine from a command template, e.g.
/// `vllm serve org/M --port {port} --enable-sleep-mode`, each with
/// CUDA_VISIBLE_DEVICES set to its GPUs. The command is split on spaces (no
/// shell); placeholders: {port} (required), {model} (the upstream model
/// name), {instance} ("m/3"), {gpus} ("0,1"), {gpu_count}.
struct ProcessSource {
  std::vector<std::string> command;  // argv template
  int instances = 1;                 // the serving minimum
  core::Duration wake_timeout = std::chrono::seconds(120);  // POST /wake_up may take this long

  bool operator==(const ProcessSource&) const = default;
};

/// Endpoints run elsewhere (vLLM, SGLang, llama.cpp server, Ollama, …).
struct StaticSource {
  std::vector<StaticEndpoint> endpoints;
  /// https endpoints: check their certificates (chain and host name) against
  /// `ca_file` (a PEM bundle; empty = the system's CAs), or not at all
  /// (`verify: false`, warned about at load).
  std::string ca_file;
  bool verify = true;
};

/// Active health checks of a model's instances (health/active_check.h
/// explains the defaults).
struct HealthCheckConfig {
  bool enabled = true;
  std::string path = "/health";
  core::Duration interval = std::chrono::seconds(2);
  core::Duration timeout = std::chrono::milliseconds(1500);
  std::uint32_t unhealthy_threshold = 2;
  std::uint32_t healthy_threshold = 2;
  std::uint32_t jitter_percent = 10;

  bool operator==(const HealthCheckConfig&) const = default;
};

/// Passive outlier detection (health/outlier_detector.h explains the
/// defaults and how they differ from Envoy's).
struct OutlierDetectionConfig {
  bool enabled = true;
  /// Consecutive 5xx or gateway failures that eject; 0 disables.
  std::uint32_t consecutive_5xx = 5;
  /// Consecutive gateway failures that eject; 0 disables.
  std::uint32_t consecutive_gateway_failure = 3;
  /// How often the sweep runs: the failure-percentage window.
  core::Duration interval = std::chrono::seconds(10);
  core::Duration base_ejection_time = std::chrono::seconds(30);
  core::Duration max_ejection_time = std::chrono::seconds(300);
  /// At most this percent of the pool is ejected at once (never exceeded).
  std::uint32_t max_ejection_percent = 50;
  bool enforce_failure_percentage = true;
  /// Eject when failures × 100 >= this × requests over an interval.
  std::uint32_t failure_percentage_threshold = 85;
  /// Instances with enough volume needed before the rule applies to any.
  std::uint32_t failure_percentage_minimum_hosts = 3;
  /// Requests over the interval an instance needs for the rule to judge it.
  std::uint32_t failure_percentage_request_volume = 20;
  /// Below this percent of usable instances, all are used (health/panic.h);
  /// 0 disables panic.
  std::uint32_t panic_threshold_percent = 50;
  /// An instance whose streams all had no event for this long (at least;
  /// health/try_watch.h) while another instance's went on is ejected at
  /// once and its tries move elsewhere; 0 disables.
  core::Duration stall = std::chrono::milliseconds(500);
};

/// Per-instance circuit breaker (health/circuit_breaker.h).
struct CircuitBreakerConfig {
  std::int64_t max_connections = 1024;
  std::int64_t max_in_flight = 1024;
  std::int64_t max_pending = 128;
};

/// Where a hash key comes from (consistent hashing, sticky splits).
struct HashKeyConfig {
  enum class Source { kNone, kHeader, kTenant, kUser };
  Source source = Source::kNone;
  std::string header;  // lower-case header name, for kHeader
};

enum class BalancePolicy {
  kLeastRequest,        // power of two choices on outstanding requests
  kRoundRobin,
  kWeightedRoundRobin,  // instance weights (static endpoints' weight)
  kLeastTokens,         // outstanding estimated tokens
  kConsistentHash,      // on hash_on, with a bounded load
  kPrefixAffinity,      // on the first prefix_tokens of the prompt, bounded load
};

/// "least_request" | "round_robin" | "weighted_round_robin" | "least_tokens"
/// | "consistent_hash" | "prefix_affinity", as written in the YAML.
constexpr std::string_view to_string(BalancePolicy p) {
  switch (p) {
    case BalancePolicy::kLeastRequest: return "least_request";
    case BalancePolicy::kRoundRobin: return "round_robin";
    case BalancePolicy::kWeightedRoundRobin: return "weighted_round_robin";
    case BalancePolicy::kLeastTokens: return "least_tokens";
    case BalancePolicy::kConsistentHash: return "consistent_hash";
    case BalancePolicy::kPrefixAffinity: return "prefix_affinity";
  }
  return "least_request";
}

enum class HashTableKind { kMaglev, kRing };

/// "maglev" | "ring", as written in the YAML.
constexpr std::string_view to_string(HashTableKind k) { return k == HashTableKind::kRing ? "ring" : "maglev"; }

/// How a model's requests are spread over its instances.
struct BalanceConfig {
  BalancePolicy policy = BalancePolicy::kLeastRequest;
  HashKeyConfig hash_on;                         // consistent_hash: required
  HashTableKind hash_table = HashTableKind::kMaglev;
  double load_factor = 1.25;                     // bounded load c (>= 1)
  std::int64_t prefix_tokens = 256;              // prefix_affinity
};

/// What one instance of a model needs from the GPU pool.
struct GpuNeeds {
  int count = 1;            // GPUs per instance (tensor parallel, on one node)
  double weights_gb = 0;    // 0 = the sim profile's weights size
  double kv_cache_gb = 0;   // KV-cache reservation on top of the weights, all GPUs together

  bool operator==(const GpuNeeds&) const = default;
};

enum class DrPriority { kCritical, kHigh, kNormal };

/// "critical" | "high" | "normal", as written in the YAML.
constexpr std::string_view to_string(DrPriority p) {
  return p == DrPriority::kCritical ? "critical" : p == DrPriority::kHigh ? "high" : "normal";
}

/// Standbys kept beside the serving instances, by temperature.
struct StandbyCounts {
  int hot = 0;   // loaded and awake, out of rotation: promoted at once
  int warm = 0;  // engine asleep, weights in host memory: promoted by a wake-up
  int cold = 0;  // a place reserved, weights on that node's disk: promoted by a start

  bool operator==(const StandbyCounts&) const = default;
};

/// The model's disaster-recovery policy (docs/recovery.md).
struct RecoveryPolicy {
  DrPriority priority = DrPriority::kNormal;
  StandbyCounts standby;
  core::Duration rto{};  // target, reported beside the measured recovery times; 0 = none
  std::vector<std::string> preferred_zones;
  std::string standby_zone;  // where standbys go, and where capacity moves when a zone fails
  /// An instance ejected by outlier detection is failed over (stopped and
  /// replaced) rather than waited for until its ejection ends.
  bool replace_ejected = true;

  bool operator==(const RecoveryPolicy&) const = default;
};

/// How the serving count follows demand, between the minimum (sim.instances)
/// and `max_hot`.
struct DemandPolicy {
  int max_hot = 0;                      // 0 = the minimum (no demand scaling)
  std::int64_t wake_queue_depth = 0;    // wake a standby when this many requests wait; 0 = never
  core::Duration idle_sleep{};          // sleep a serving instance beyond the minimum idle this long; 0 = never

  bool operator==(const DemandPolicy&) const = default;
};

struct Model {
  std::string name;  // as clients send it in "model"
  ModelSource source = ModelSource::kSim;
  SimSource sim;
  StaticSource static_source;
  ProcessSource process;
  /// Name sent upstream; defaults to `name`.
  std::string upstream_model;
  /// Set a per-tenant `cache_salt` on requests (vLLM's prefix-cache
  /// isolation). Turn off for engines that reject unknown fields.
  bool cache_salt = true;
  /// max_tokens assumed when a request does not say (for estimates).
  std::int64_t default_max_tokens = 256;
  /// The engine's context length (prompt + completion tokens). A request
  /// that cannot fit is refused with 400 context_length_exceeded. Absent:
  /// a sim model's profile's; no check for static and process models.
  std::optional<std::int64_t> max_model_len;
  /// Prices in US dollars per million tokens, for budgets and the ledger's cost.
  double input_price_per_million = 0;
  double output_price_per_million = 0;
  SchedulerConfig scheduler;
  BalanceConfig balance;
  HealthCheckConfig health_check;
  OutlierDetectionConfig outlier_detection;
  CircuitBreakerConfig circuit_breaker;
  GpuNeeds gpu;
  RecoveryPolicy recovery;
  DemandPolicy demand;
  /// The tenant whose GPU quota this model's instances count against; "" = shared.
  std::string dedicated_to;

  /// Instances in rotation the fleet keeps (sim and process models), or the
  /// static endpoints.
  int serving_minimum() const {
    switch (source) {
      case ModelSource::kSim: return sim.instances;
      case ModelSource::kProcess: return process.instances;
      case ModelSource::kStatic: return static_cast<int>(static_source.endpoints.size());
    }
    return 0;
  }
};

enum class MatchKind { kExact, kPrefix, kRegex };

/// "exact" | "prefix" | "regex", as written in the YAML.
constexpr std::string_view to_string(MatchKind k) {
  switch (k) {
    case MatchKind::kExact: return "exact";
    case MatchKind::kPrefix: return "prefix";
    case MatchKind::kRegex: return "regex";
  }
  return "exact";
}

struct HeaderMatch {
  std::string name;   // lower-case
  MatchKind kind = MatchKind::kExact;
  std::string value;  // for kRegex: an RE2 regex matching the whole value
};

/// What a route matches; every given part must match. Nothing given
/// matches every request.
struct RouteMatch {
  std::optional<std::string> model;  // the client's "model", exactly
  std::vector<HeaderMatch> headers;
  std::vector<std::string> tenants;  // tenant ids; empty = any
};

struct SplitTarget {
  std::string model;          // a model in `models`
  std::uint32_t weight = 1;
};

/// A percentage of requests copied to another model, fire-and-forget.
struct MirrorConfig {
  std::string model;
  double percent = 100.0;     // (0, 100]
};

/// Fault injection, for drills.
struct FaultConfig {
  double abort_percent = 0;   // [0, 100]
  int abort_status = 503;     // 400..599
  double delay_percent = 0;   // [0, 100]
  core::Duration delay{};
};

/// One entry of `routes`: the first whose match holds decides where a
/// request goes. Requests no route matches go to the model they name.
struct Route {
  std::string name;                     // unique; defaults to "routes[i]"
  RouteMatch match;
  std::vector<SplitTarget> split;       // at least one; one target = plain forward
  HashKeyConfig sticky;                 // same key → same split target
  std::optional<std::string> upstream_model;  // rewrite of the model name sent upstream
  std::optional<MirrorConfig> mirror;
  FaultConfig fault;
  std::optional<TimeoutConfig> timeouts;      // else server.timeouts
  std::optional<RetryPolicy> retry;           // else server.retry
};

/// One machine of the GPU inventory.
struct NodeConfig {
  std::string name;
  int gpus = 1;
  double gpu_memory_gb = 80;

  bool operator==(const NodeConfig&) const = default;
};

struct ZoneConfig {
  std::string name;
  std::vector<NodeConfig> nodes;

  bool operator==(const ZoneConfig&) const = default;
};

/// The GPU pool and its controller (fleet/). Without `zones`, the pool is
/// one zone "local" with one node "local" big enough for every instance.
struct FleetConfig {
  std::vector<ZoneConfig> zones;
  /// Promised GPU memory (awake + asleep instances) may reach this multiple
  /// of the physical memory; awake memory never exceeds it.
  double overcommit = 1.0;
  core::Duration reconcile_interval = std::chrono::milliseconds(100);
  /// A start that is not serving by then has failed.
  core::Duration start_timeout = std::chrono::seconds(120);
  /// A zone is failed over when instances on two or more of its nodes
  /// failed within `zone_failure_window`, they are this share of what ran
  /// there, and another zone is up (fleet/zone_watch.h).
  double zone_failure_threshold = 0.5;
  core::Duration zone_failure_window = std::chrono::seconds(30);

  bool operator==(const FleetConfig&) const = default;
};

struct Config {
  std::string source_path;  // file it was loaded from
  ListenConfig listen;
  ServerConfig server;
  std::vector<Tenant> tenants;
  std::vector<Model> models;
  std::vector<Route> routes;
  FleetConfig fleet;
  StoreConfig store;
  AdminConfig admin;
  ClusterConfig cluster;

  const Model* find_model(std::string_view name) const {
    for (const auto& m : models) if (m.name == name) return &m;
    return nullptr;
  }
};

}  // namespace sluice::config
