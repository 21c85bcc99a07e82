/// RunRecorder: per-bucket service and backlog, per-tenant totals.
#include <algorithm>
#include <cmath>

#include "sluice/workload/report.h"

namespace sluice::workload {
namespace {

/// Bucket edges are computed as b·bucket_s; a time a hair below an edge
/// (0.1 + 0.2) must not fall into the previous bucket.
constexpr double kEdgeTolerance = 1e-9;

}  // namespace

std::string_view to_string(Outcome outcome) {
  switch (outcome) {
    case Outcome::kOk: return "ok";
    case Outcome::kRateLimited: return "rate_limit_exceeded";
    case Outcome::kConcurrencyLimit: return "concurrency_limit_exceeded";
    case Outcome::kQueueFull: return "queue_full";
    case Outcome::kQueueTimeout: return "queue_timeout";
    case Outcome::kError: return "error";
  }
  return "error";
}

Outcome outcome_from_code(std::string_view code) {
  if (code == "rate_limit_exceeded") return Outcome::kRateLimited;
  if (code == "concurrency_limit_exceeded") return Outcome::kConcurrencyLimit;
  if (code == "queue_full") return Outcome::kQueueFull;
  if (code == "queue_timeout") return Outcome::kQueueTimeout;
  return Outcome::kError;
}

RunRecorder::RunRecorder(std::vector<std::string> tenant_names, std::vector<double> tenant_weights,
                         ServiceWeights weights, double duration_s, double warmup_s, double bucket_s)
    : names_(std::move(tenant_names)),
      weights_(std::move(tenant_weights)),
      service_weights_(weights),
      duration_s_(std::max(duration_s, 0.0)),
      warmup_s_(std::clamp(warmup_s, 0.0, std::max(duration_s, 0.0))),
      bucket_s_(bucket_s > 0 ? bucket_s : 1.0),
      buckets_(static_cast<std::size_t>(std::ceil(duration_s_ / bucket_s_ - kEdgeTolerance))) {
  weights_.resize(names_.size(), 1.0);
  for (double& w : weights_) {
    if (!(w > 0)) w = 1.0;
  }
  service_.assign(names_.size() * buckets_, 0.0);
  backlog_.assign(names_.size() * buckets_, kNoSample);
  totals_.resize(names_.size());
}

std::size_t RunRecorder::tenants() const { return names_.size(); }

double RunRecorder::bucket_start_s(std::size_t bucket) const { return static_cast<double>(bucket) * bucket_s_; }

double RunRecorder::bucket_end_s(std::size_t bucket) const {
  return std::min(static_cast<double>(bucket + 1) * bucket_s_, duration_s_);
}

bool RunRecorder::measured(std::size_t bucket) const {
  return bucket < buckets_ && bucket_start_s(bucket) >= warmup_s_ - kEdgeTolerance;
}

std::size_t RunRecorder::bucket_of(double at_s) const {
  if (!(at_s >= 0) || at_s > duration_s_ + kEdgeTolerance) return buckets_;
  const auto b = static_cast<std::size_t>(std::floor(at_s / bucket_s_ + kEdgeTolerance));
  return std::min(b, buckets_ == 0 ? 0 : buckets_ - 1);
}

bool RunRecorder::in_window(double at_s) const {
  return at_s >= warmup_s_ - kEdgeTolerance && at_s <= duration_s_ + kEdgeTolerance;
}

void RunRecorder::add_request(const RequestRecord& record) {
  if (record.tenant >= names_.size() || !in_window(record.sent_s)) return;
  TenantTotals& t = totals_[record.tenant];
  ++t.sent;
  switch (record.outcome) {
    case Outcome::kOk:
      ++t.completed;
      if (record.ttft_s >= 0) t.ttft_s.push_back(static_cast<float>(record.ttft_s));
      if (record.e2e_s >= 0) t.e2e_s.push_back(static_cast<float>(record.e2e_s));
      break;
    case Outcome::kError:
      ++t.errors;
      break;
    default:
      ++t.refused[record.outcome];
      break;
  }
}

void RunRecorder::add_service(std::uint32_t tenant, double at_s, std::int64_t input_tokens,
                              std::int64_t output_tokens) {
  if (tenant >= names_.size()) return;
  const double service = service_weights_.w_input * static_cast<double>(input_tokens) +
                         service_weights_.w_output * static_cast<double>(output_tokens);
  const std::size_t b = bucket_of(at_s);
  if (b < buckets_) service_[index(tenant, b)] += service;
  if (!in_window(at_s)) return;
  TenantTotals& t = totals_[tenant];
  t.input_tokens += input_tokens;
  t.output_tokens += output_tokens;
  t.service += service;
}

void RunRecorder::sample_backlog(std::uint32_t tenant, double at_s, bool backlogged) {
  if (tenant >= names_.size()) return;
  const std::size_t b = bucket_of(at_s);
  if (b >= buckets_) return;
  std::uint8_t& state = backlog_[index(tenant, b)];
  if (!backlogged) state = kNotAllBacklogged;
  else if (state == kNoSample) state = kAllBacklogged;
}

}  // namespace sluice::workload
