#pragma once
/// Workload files: who sends what, when. One file drives both `sluice load`
/// (against the live gateway) and `sluice simulate` (in virtual time), so
/// the two can be compared request for request. Pure: no I/O beyond reading
/// the file, no clock.
///
/// ```yaml
/// duration: 120s            # how long arrivals run
/// warmup: 10s               # excluded from the fairness figures (default 0)
/// seed: 1                   # arrivals and lengths repeat for a seed
/// model: llama-3.1-8b-instruct   # default for every tenant
/// stream: true              # default for every tenant
/// tenants:
///   - tenant: acme          # tenant id in the gateway config (simulate)
///     api_key: sk-demo-acme # plain key (load); or {env: NAME}
///     arrival: {process: poisson, rate: 20}        # requests/s
///     # process: constant | poisson | on_off | ramp
///     # on_off: {process: on_off, rate: 40, on: 10s, off: 20s}  (poisson while on)
///     # ramp:   {process: ramp, from: 1, to: 40}   (poisson, rate linear over the run)
///     start: 0s             # optional window inside the run
///     stop: 120s
///     input_tokens: {dist: uniform, min: 100, max: 300}   # fixed | uniform | exponential
///     output_tokens: {dist: fixed, mean: 200}
///     stream: false
///     model: mistral-7b-instruct
///     priority: batch       # optional x-sluice-priority header
///     replicas: [3, 1, 0]   # simulate: how its requests split over the replicas
/// replicas: 3               # simulate: gateway replicas, each with its own queues
/// replica_sync: 20ms        # simulate: fleet-wide fairness sync interval; 0s = none
/// ```
///
/// Defaults: duration 60s, warmup 0s, seed 1, stream true, start 0s, stop =
/// duration; arrival is required; input_tokens and output_tokens default to
/// `{dist: fixed, mean: 100}`, and a bare integer (`output_tokens: 200`) is
/// a fixed length. Lengths are clamped to [min, max] (min default 1; max
/// default 4096, or 10× the mean when that is larger; uniform needs both).
/// `model` is required, at the top level or per tenant. Unknown keys are
/// errors, and so are keys that do not belong to the chosen process or
/// distribution.
#include <cstdint>
#include <expected>
#include <functional>
#include <optional>
#include <queue>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::workload {

enum class ArrivalKind { kConstant, kPoisson, kOnOff, kRamp };

struct ArrivalProcess {
  ArrivalKind kind = ArrivalKind::kPoisson;
  double rate = 1.0;       // requests per second (on_off: while on; ramp: unused)
  double on_s = 0;         // on_off
  double off_s = 0;        // on_off
  double from_rate = 0;    // ramp: rate at the tenant's start
  double to_rate = 0;      // ramp: rate at the tenant's stop
};

enum class LengthKind { kFixed, kUniform, kExponential };

struct LengthDist {
  LengthKind kind = LengthKind::kFixed;
  double mean = 100;       // fixed, exponential
  std::int64_t min = 1;    // uniform bounds; exponential clamp
  std::int64_t max = 4096;
};

struct TenantLoad {
  std::string tenant;      // gateway tenant id
  std::string api_key;     // plain key, for `sluice load`; may be empty for simulate
  std::string model;
  std::string priority;    // "" = the tenant's default
  bool stream = true;
  ArrivalProcess arrival;
  double start_s = 0;
  double stop_s = 0;       // defaults to the workload duration
  LengthDist input_tokens;
  LengthDist output_tokens;
  /// simulate: the share of its requests each replica receives (one weight
  /// per replica); empty = evenly.
  std::vector<double> replica_split;
};

struct Workload {
  std::string source_path;
  double duration_s = 60;
  double warmup_s = 0;
  std::uint64_t seed = 1;
  /// simulate: gateway replicas in front of the same instances, each with
  /// its own queue, and how often they exchange fairness counters (0: never,
  /// each replica is fair on its own). `sluice load` ignores both.
  int replicas = 1;
  double replica_sync_s = 0;
  std::vector<TenantLoad> tenants;
};

/// Errors as "file:line:col: key: message", every one found.
std::expected<Workload, std::vector<std::string>> load_workload_file(const std::string& path);
std::expected<Workload, std::vector<std::string>> load_workload_text(std::string_view yaml, std::string_view name);

/// One request to send.
struct Arrival {
  double at_s = 0;                 // offset from the start of the run
  std::uint32_t tenant = 0;        // index into Workload::tenants
  std::uint64_t seq = 0;           // 0, 1, 2, … in arrival order over the whole run
  std::int64_t input_tokens = 0;
  std::int64_t output_tokens = 0;  // sent as max_tokens
};

/// The run's arrivals in time order, generated lazily (an hour of traffic
/// for a thousand instances is tens of millions of requests). Deterministic
/// for a workload and its seed; each tenant draws from its own stream, so a
/// tenant's arrivals do not change when another tenant is added.
///
/// Tenant i's streams are seeded from (seed, i): appending a tenant leaves
/// the arrivals of the tenants before it unchanged. Arrival times, input
/// lengths and output lengths come from three separate streams, so changing
/// a tenant's length distribution does not move its arrival times.
/// Arrivals fall in [start, stop). Copies what it needs from `workload`.
/// Not thread-safe.
class ArrivalGenerator {
 public:
  explicit ArrivalGenerator(const Workload& workload);
  ~ArrivalGenerator();
  ArrivalGenerator(ArrivalGenerator&&) noexcept;
  ArrivalGenerator& operator=(ArrivalGenerator&&) noexcept;
  /// The next arrival, or nullopt when the run has no more.
  std::optional<Arrival> next();

 private:
  struct TenantStream;  // per-tenant process state and random streams
  struct Pending {
    double at_s;
    std::uint32_t tenant;
    /// Min-heap order; ties go to the lower tenant index.
    bool operator>(const Pending& other) const {
      return at_s != other.at_s ? at_s > other.at_s : tenant > other.tenant;
    }
  };
  std::vector<TenantStream> streams_;
  std::priority_queue<Pending, std::vector<Pending>, std::greater<Pending>> heap_;  // one entry per live tenant
  std::uint64_t seq_ = 0;
};

}  // namespace sluice::workload
