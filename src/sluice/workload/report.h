#pragma once
/// What a run (live `sluice load` or virtual `sluice simulate`) measured, and
/// how it is printed: a per-tenant table, fairness figures over the tenants
/// that stayed backlogged, a CSV time series of each tenant's service and an
/// SVG chart of it. Pure: the drivers feed records in, in any time base
/// (seconds since the start of the run).
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "sluice/workload/workload.h"

namespace sluice::workload {

/// How one request ended, from the client's point of view.
enum class Outcome {
  kOk,
  kRateLimited,        // 429 rate_limit_exceeded (rpm / tpm)
  kConcurrencyLimit,   // 429 concurrency_limit_exceeded
  kQueueFull,          // 429 queue_full
  kQueueTimeout,       // 429 queue_timeout
  kError,              // anything else (5xx, transport error, …)
};
std::string_view to_string(Outcome outcome);
/// The outcome a 429 body's `error.code` stands for (kError when unknown).
Outcome outcome_from_code(std::string_view code);

struct RequestRecord {
  std::uint32_t tenant = 0;
  double sent_s = 0;
  Outcome outcome = Outcome::kOk;
  double ttft_s = -1;           // < 0: no token
  double e2e_s = -1;            // < 0: did not finish
  std::int64_t input_tokens = 0;
  std::int64_t output_tokens = 0;
};

/// Weights of the service measure: service = w_input·input + w_output·output.
struct ServiceWeights {
  double w_input = 1.0;
  double w_output = 2.0;
};

/// What the recorder keeps per tenant. Counts and latencies cover the
/// requests *sent* in the measured window [warmup, duration]; tokens and
/// service those *delivered* in it.
struct TenantTotals {
  std::int64_t sent = 0, completed = 0, errors = 0;
  std::map<Outcome, std::int64_t> refused;   // by reason (no kOk, no kError)
  std::int64_t input_tokens = 0;             // delivered in the window
  std::int64_t output_tokens = 0;
  double service = 0;                        // w_input·input + w_output·output, in the window
  std::vector<float> ttft_s;                 // completed requests (kOk) with a token; float halves the memory
  std::vector<float> e2e_s;                  // completed requests (kOk)
};

/// Accumulates one run. Service is credited when tokens are delivered (input
/// tokens with the first token, output tokens as they arrive); backlog is
/// sampled by the driver (`sluice simulate`: the tenant has requests queued
/// in the scheduler; `sluice load`: the tenant has requests sent and still
/// without a first token).
///
/// Time is seconds since the start of the run. The time series has one
/// bucket per `bucket_s` over [0, duration] (the last one may be shorter);
/// service delivered after the duration counts for no bucket and not for the
/// window. Memory: the buckets, plus 8 bytes per completed request.
/// Not thread-safe.
class RunRecorder {
 public:
  /// `tenants`: names and weights (the gateway weight, for weighted service);
  /// `bucket_s`: resolution of the time series.
  RunRecorder(std::vector<std::string> tenant_names, std::vector<double> tenant_weights, ServiceWeights weights,
              double duration_s, double warmup_s, double bucket_s = 1.0);

  void add_request(const RequestRecord& record);
  void add_service(std::uint32_t tenant, double at_s, std::int64_t input_tokens, std::int64_t output_tokens);
  /// The tenant was backlogged (true) or not at `at_s`. A bucket counts as
  /// backlogged when every sample in it said so (and it had one at least).
  void sample_backlog(std::uint32_t tenant, double at_s, bool backlogged);
  std::size_t tenants() const;

  // Read access, for build_report and the charts.
  const std::string& name(std::uint32_t tenant) const { return names_[tenant]; }
  double weight(std::uint32_t tenant) const { return weights_[tenant]; }
  const ServiceWeights& service_weights() const { return service_weights_; }
  double duration_s() const { return duration_s_; }
  double warmup_s() const { return warmup_s_; }
  double bucket_s() const { return bucket_s_; }
  std::size_t buckets() const { return buckets_; }
  double bucket_start_s(std::size_t bucket) const;
  double bucket_end_s(std::size_t bucket) const;
  /// The bucket lies inside [warmup, duration].
  bool measured(std::size_t bucket) const;
  /// Service delivered in the bucket.
  double service(std::uint32_t tenant, std::size_t bucket) const { return service_[index(tenant, bucket)]; }
  bool backlogged(std::uint32_t tenant, std::size_t bucket) const {
    return backlog_[index(tenant, bucket)] == kAllBacklogged;
  }
  const TenantTotals& totals(std::uint32_t tenant) const { return totals_[tenant]; }

 private:
  enum : std::uint8_t { kNoSample = 0, kAllBacklogged = 1, kNotAllBacklogged = 2 };
  std::size_t index(std::uint32_t tenant, std::size_t bucket) const { return tenant * buckets_ + bucket; }
  /// The bucket of `at_s`, or buckets_ when outside [0, duration].
  std::size_t bucket_of(double at_s) const;
  bool in_window(double at_s) const;

  std::vector<std::string> names_;
  std::vector<double> weights_;
  ServiceWeights service_weights_;
  double duration_s_;
  double warmup_s_;
  double bucket_s_;
  std::size_t buckets_;
  std::vector<double> service_;         // tenant-major: [tenant * buckets_ + bucket]
  std::vector<std::uint8_t> backlog_;   // same layout
  std::vector<TenantTotals> totals_;
};

/// One tenant's row. Latency percentiles are nearest-rank over the completed
/// requests sent in the window; NaN when there are none.
struct TenantReport {
  std::string name;
  double weight = 1;
  std::int64_t sent = 0, completed = 0, errors = 0;
  std::map<Outcome, std::int64_t> refused;   // by reason (no kOk, no kError)
  double tokens_per_s = 0;                   // output tokens/s over the measured window
  double service_per_s = 0;                  // weighted service/s over the measured window
  double share = 0;                          // this tenant's fraction of all service
  double ttft_p50_s = 0, ttft_p99_s = 0;
  double e2e_p50_s = 0, e2e_p99_s = 0;
  bool backlogged = false;                   // backlogged in ≥ 90% of the measured buckets
};

struct RunReport {
  std::string label;                 // "vtc", "load", …
  double warmup_s = 0;               // the measured window is [warmup_s, duration_s]
  double duration_s = 0;
  std::vector<TenantReport> tenants;
  double total_tokens_per_s = 0;
  double total_service_per_s = 0;
  /// Over the backlogged tenants (need two at least; else NaN):
  double jain_index = 0;             // of service/weight
  /// Largest |ΔS_i/w_i − ΔS_j/w_j| over any interval in which both i and j
  /// were backlogged, in weighted tokens (0 when no two tenants ever were).
  /// Measured at bucket ends over maximal runs of buckets where both were
  /// backlogged. With more than 50 tenants backlogged at some point, only
  /// the 25 with the most and the 25 with the least service/weight are
  /// paired (the extremes, where the largest gaps are), keeping the cost
  /// at O(buckets × 50²).
  double max_weighted_gap = 0;
};

RunReport build_report(const RunRecorder& recorder, std::string label);

/// Fixed-width table for a terminal; several reports side by side compare policies.
std::string format_report(const RunReport& report);
std::string format_comparison(const std::vector<RunReport>& reports);
/// time_s,tenant,service,cumulative_service,backlogged — one row per bucket × tenant.
std::string service_csv(const RunRecorder& recorder);
/// Cumulative weighted service per tenant over time, one line each, with a legend.
std::string service_svg(const RunRecorder& recorder, std::string_view title);

}  // namespace sluice::workload
