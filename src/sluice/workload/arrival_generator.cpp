/// ArrivalGenerator: per-tenant arrival processes merged lazily by time.
#include <algorithm>
#include <cmath>
#include <limits>

#include "sluice/workload/random_stream.h"
#include "sluice/workload/workload.h"

namespace sluice::workload {
namespace {

constexpr double kNever = std::numeric_limits<double>::infinity();

/// Sub-stream numbers under one tenant.
enum Substream : std::uint64_t { kTimes = 1, kInputs = 2, kOutputs = 3 };

std::int64_t draw_length(const LengthDist& dist, RandomStream& rng) {
  std::int64_t value = 1;
  switch (dist.kind) {
    case LengthKind::kFixed:
      value = std::llround(dist.mean);
      break;
    case LengthKind::kUniform:
      value = rng.uniform_int(std::min(dist.min, dist.max), std::max(dist.min, dist.max));
      break;
    case LengthKind::kExponential: {
      const double drawn = std::ceil(rng.exponential(dist.mean));
      value = drawn >= 9.0e18 ? std::numeric_limits<std::int64_t>::max() : static_cast<std::int64_t>(drawn);
      break;
    }
  }
  value = std::clamp(value, dist.min, std::max(dist.min, dist.max));
  return std::max<std::int64_t>(value, 1);
}

}  // namespace

struct ArrivalGenerator::TenantStream {
  ArrivalProcess process;
  double start_s = 0;
  double stop_s = 0;
  LengthDist input_tokens;
  LengthDist output_tokens;
  RandomStream times;
  RandomStream inputs;
  RandomStream outputs;
  std::uint64_t count = 0;  // arrivals produced so far (constant spacing)
  double clock_s = 0;       // poisson, ramp: last candidate time; on_off: on-time used so far

  TenantStream(const TenantLoad& load, std::uint64_t seed, std::uint32_t index)
      : process(load.arrival),
        start_s(load.start_s),
        stop_s(load.stop_s),
        input_tokens(load.input_tokens),
        output_tokens(load.output_tokens),
        times(seed, index, kTimes),
        inputs(seed, index, kInputs),
        outputs(seed, index, kOutputs),
        clock_s(load.arrival.kind == ArrivalKind::kOnOff ? 0.0 : load.start_s) {}

  /// The time of this tenant's next arrival, or kNever.
  double advance() {
    double at = kNever;
    switch (process.kind) {
      case ArrivalKind::kConstant:
        // start + k/rate, not a running sum, so the spacing never drifts.
        if (process.rate > 0) at = start_s + static_cast<double>(count) / process.rate;
        break;
      case ArrivalKind::kPoisson:
        if (process.rate > 0) at = clock_s += times.exponential(1.0 / process.rate);
        break;
      case ArrivalKind::kOnOff:
        at = next_on_off();
        break;
      case ArrivalKind::kRamp:
        at = next_ramp();
        break;
    }
    ++count;
    return at < stop_s ? at : kNever;
  }

  /// Poisson in "on-time" (time spent in on-periods), mapped onto the wall
  /// of on/off cycles that start with an on-period at start_s.
  double next_on_off() {
    if (process.rate <= 0 || process.on_s <= 0) return kNever;
    clock_s += times.exponential(1.0 / process.rate);
    const double cycles = std::floor(clock_s / process.on_s);
    const double into_on = clock_s - cycles * process.on_s;
    return start_s + cycles * (process.on_s + process.off_s) + into_on;
  }

  /// Thinning (Lewis–Shedler): candidates at the peak rate, each kept with
  /// probability rate(t) / peak.
  double next_ramp() {
    const double peak = std::max(process.from_rate, process.to_rate);
    if (peak <= 0) return kNever;
    const double span = stop_s - start_s;
    for (;;) {
      clock_s += times.exponential(1.0 / peak);
      if (clock_s >= stop_s) return kNever;
      const double fraction = span > 0 ? (clock_s - start_s) / span : 0.0;
      const double rate = process.from_rate + (process.to_rate - process.from_rate) * fraction;
      if (times.uniform() * peak < rate) return clock_s;
    }
  }
};

ArrivalGenerator::ArrivalGenerator(const Workload& workload) {
  streams_.reserve(workload.tenants.size());
  for (std::uint32_t i = 0; i < workload.tenants.size(); ++i) {
    streams_.emplace_back(workload.tenants[i], workload.seed, i);
    const double first = streams_.back().advance();
    if (first != kNever) heap_.push(Pending{first, i});
  }
}

ArrivalGenerator::~ArrivalGenerator() = default;
ArrivalGenerator::ArrivalGenerator(ArrivalGenerator&&) noexcept = default;
ArrivalGenerator& ArrivalGenerator::operator=(ArrivalGenerator&&) noexcept = default;

std::optional<Arrival> ArrivalGenerator::next() {
  if (heap_.empty()) return std::nullopt;
  const Pending top = heap_.top();
  heap_.pop();
  TenantStream& stream = streams_[top.tenant];
  Arrival arrival{.at_s = top.at_s,
                  .tenant = top.tenant,
                  .seq = seq_++,
                  .input_tokens = draw_length(stream.input_tokens, stream.inputs),
                  .output_tokens = draw_length(stream.output_tokens, stream.outputs)};
  const double next_at = stream.advance();
  if (next_at != kNever) heap_.push(Pending{next_at, top.tenant});
  return arrival;
}

}  // namespace sluice::workload
