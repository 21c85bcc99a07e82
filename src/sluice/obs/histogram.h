#pragma once
/// Prometheus histogram with fixed bucket bounds and lock-free observation.
/// Thread-safety: observe() and render() may run concurrently from any thread.
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::obs {

/// Latency buckets in seconds, from 5 ms to 2 min (time to first token, totals).
const std::vector<double>& latency_buckets_seconds();
/// Finer buckets in seconds, from 1 ms to 2.5 s (inter-token latency).
const std::vector<double>& fine_latency_buckets_seconds();

class Histogram {
 public:
  explicit Histogram(std::vector<double> upper_bounds);
  Histogram(const Histogram&) = delete;
  Histogram& operator=(const Histogram&) = delete;

  void observe(double value);
  std::uint64_t count() const { return count_.load(std::memory_order_relaxed); }
  double sum() const;

  /// Appends `name_bucket{labels,le="…"} n` lines, `name_sum` and `name_count`.
  /// `labels` is the inside of the braces without them (`tenant="acme"`), or empty.
  void render(std::string& out, std::string_view name, std::string_view labels) const;

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> buckets_;  // non-cumulative, size bounds_+1
  std::atomic<std::uint64_t> count_{0};
  std::atomic<std::uint64_t> sum_micros_{0};  // sum in 1e-6 units, to stay lock-free
};

/// Appends one `# HELP` and `# TYPE` header.
void render_header(std::string& out, std::string_view name, std::string_view type, std::string_view help);

}  // namespace sluice::obs
