/// build_report: per-tenant figures and the fairness measures.
#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "sluice/workload/report.h"

namespace sluice::workload {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
/// Beyond this many candidate tenants the gap pairs only the extremes.
constexpr std::size_t kMaxGapTenants = 50;

/// Nearest-rank percentile (p in (0, 1]) of `values`; NaN when empty.
double percentile(std::vector<float> values, double p) {
  if (values.empty()) return kNaN;
  const auto rank = static_cast<std::size_t>(std::ceil(p * static_cast<double>(values.size())));
  const std::size_t at = std::clamp<std::size_t>(rank, 1, values.size()) - 1;
  std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(at), values.end());
  return values[at];
}

/// Jain's fairness index (Σx)² / (n·Σx²); NaN for fewer than two values or
/// when every value is 0.
double jain(const std::vector<double>& x) {
  if (x.size() < 2) return kNaN;
  double sum = 0, squares = 0;
  for (double v : x) {
    sum += v;
    squares += v * v;
  }
  if (squares <= 0) return kNaN;
  return sum * sum / (static_cast<double>(x.size()) * squares);
}

/// Largest weighted-service gap between i and j over the maximal runs of
/// measured buckets in which both were backlogged.
double pair_gap(const RunRecorder& r, std::uint32_t i, std::uint32_t j) {
  const double wi = r.weight(i), wj = r.weight(j);
  double best = 0;
  double di = 0, dj = 0;  // service since the run began
  bool in_run = false;
  for (std::size_t b = 0; b < r.buckets(); ++b) {
    if (!r.measured(b) || !r.backlogged(i, b) || !r.backlogged(j, b)) {
      in_run = false;
      continue;
    }
    if (!in_run) {
      in_run = true;
      di = dj = 0;
    }
    di += r.service(i, b);
    dj += r.service(j, b);
    best = std::max(best, std::abs(di / wi - dj / wj));
  }
  return best;
}

double max_weighted_gap(const RunRecorder& r) {
  // Candidates: tenants backlogged in at least one measured bucket.
  std::vector<std::uint32_t> candidates;
  for (std::uint32_t t = 0; t < r.tenants(); ++t) {
    for (std::size_t b = 0; b < r.buckets(); ++b) {
      if (r.measured(b) && r.backlogged(t, b)) {
        candidates.push_back(t);
        break;
      }
    }
  }
  if (candidates.size() > kMaxGapTenants) {
    std::stable_sort(candidates.begin(), candidates.end(), [&r](std::uint32_t a, std::uint32_t b) {
      return r.totals(a).service / r.weight(a) < r.totals(b).service / r.weight(b);
    });
    const std::size_t half = kMaxGapTenants / 2;
    candidates.erase(candidates.begin() + static_cast<std::ptrdiff_t>(half),
                     candidates.end() - static_cast<std::ptrdiff_t>(half));
  }
  double best = 0;
  for (std::size_t a = 0; a < candidates.size(); ++a) {
    for (std::size_t b = a + 1; b < candidates.size(); ++b) {
      best = std::max(best, pair_gap(r, candidates[a], candidates[b]));
    }
  }
  return best;
}

}  // namespace

RunReport build_report(const RunRecorder& recorder, std::string label) {
  RunReport report;
  report.label = std::move(label);
  report.warmup_s = recorder.warmup_s();
  report.duration_s = recorder.duration_s();
  const double window_s = recorder.duration_s() - recorder.warmup_s();
  const auto per_s = [window_s](double amount) { return window_s > 0 ? amount / window_s : 0.0; };

  std::size_t measured_buckets = 0;
  for (std::size_t b = 0; b < recorder.buckets(); ++b) measured_buckets += recorder.measured(b) ? 1 : 0;

  double all_service = 0;
  double all_output = 0;
  for (std::uint32_t t = 0; t < recorder.tenants(); ++t) {
    all_service += recorder.totals(t).service;
    all_output += static_cast<double>(recorder.totals(t).output_tokens);
  }

  std::vector<double> backlogged_service;
  for (std::uint32_t t = 0; t < recorder.tenants(); ++t) {
    const TenantTotals& totals = recorder.totals(t);
    TenantReport row;
    row.name = recorder.name(t);
    row.weight = recorder.weight(t);
    row.sent = totals.sent;
    row.completed = totals.completed;
    row.errors = totals.errors;
    row.refused = totals.refused;
    row.tokens_per_s = per_s(static_cast<double>(totals.output_tokens));
    row.service_per_s = per_s(totals.service);
    row.share = all_service > 0 ? totals.service / all_service : 0.0;
    row.ttft_p50_s = percentile(totals.ttft_s, 0.50);
    row.ttft_p99_s = percentile(totals.ttft_s, 0.99);
    row.e2e_p50_s = percentile(totals.e2e_s, 0.50);
    row.e2e_p99_s = percentile(totals.e2e_s, 0.99);
    std::size_t backlogged_buckets = 0;
    for (std::size_t b = 0; b < recorder.buckets(); ++b) {
      backlogged_buckets += recorder.measured(b) && recorder.backlogged(t, b) ? 1 : 0;
    }
    // ≥ 90%, in integers so that 9 of 10 is exactly enough.
    row.backlogged = measured_buckets > 0 && 10 * backlogged_buckets >= 9 * measured_buckets;
    if (row.backlogged) backlogged_service.push_back(totals.service / row.weight);
    report.tenants.push_back(std::move(row));
  }
  report.total_tokens_per_s = per_s(all_output);
  report.total_service_per_s = per_s(all_service);
  report.jain_index = jain(backlogged_service);
  report.max_weighted_gap = max_weighted_gap(recorder);
  return report;
}

}  // namespace sluice::workload
