#include "sluice/health/outlier_detector.h"

#include <algorithm>
#include <utility>

namespace sluice::health {

std::string_view to_string(EjectReason reason) {
  switch (reason) {
    case EjectReason::kConsecutive5xx:
      return "consecutive_5xx";
    case EjectReason::kConsecutiveGatewayFailure:
      return "consecutive_gateway_failure";
    case EjectReason::kFailurePercentage:
      return "failure_percentage";
    case EjectReason::kStalled:
      return "stalled";
  }
  return "unknown";
}

OutlierDetector::OutlierDetector(OutlierConfig config, std::size_t instances)
    : config_(std::move(config)), states_(instances) {
  const auto base = config_.base_ejection_time.count();
  const auto cap = std::max(config_.max_ejection_time, config_.base_ejection_time).count();
  // The multiplier stops where base × multiplier first reaches the cap, so
  // forgiveness after the cap takes a bounded number of sweeps.
  if (base > 0) max_multiplier_ = static_cast<std::uint32_t>(std::max<std::int64_t>((cap + base - 1) / base, 1));
}

core::Duration OutlierDetector::ejection_time(std::uint32_t multiplier) const {
  const auto cap = std::max(config_.max_ejection_time, config_.base_ejection_time);
  return std::min(config_.base_ejection_time * static_cast<std::int64_t>(multiplier), cap);
}

core::Duration OutlierDetector::next_ejection_time(std::size_t instance) const {
  return ejection_time(std::min(states_[instance].multiplier + 1, max_multiplier_));
}

bool OutlierDetector::ejected(std::size_t instance, core::TimePoint now) const {
  const InstanceState& s = states_[instance];
  return s.ejection_active && now < s.until;
}

std::size_t OutlierDetector::ejected_count(core::TimePoint now) const {
  std::size_t n = 0;
  for (std::size_t i = 0; i < states_.size(); ++i) n += ejected(i, now) ? 1 : 0;
  return n;
}

bool OutlierDetector::panic(core::TimePoint now) const {
  return in_panic(size() - ejected_count(now), size(), config_.panic_threshold_percent);
}

bool OutlierDetector::usable(std::size_t instance, core::TimePoint now) const {
  return !ejected(instance, now) || panic(now);
}

std::optional<Ejection> OutlierDetector::try_eject(std::size_t instance, EjectReason reason, core::TimePoint now) {
  InstanceState& s = states_[instance];
  const std::size_t after = ejected_count(now) + 1;
  if (after * 100 > static_cast<std::size_t>(config_.max_ejection_percent) * size()) {
    ++s.counters.overflow;
    return std::nullopt;
  }
  // An ejection that ended but was not yet swept still counts as a return.
  if (s.ejection_active) ++s.counters.returns;
  s.multiplier = std::min(s.multiplier + 1, max_multiplier_);
  s.ejection_active = true;
  s.until = now + ejection_time(s.multiplier);
  s.consecutive_5xx = 0;
  s.consecutive_gateway = 0;
  s.window_requests = 0;
  s.window_failures = 0;
  ++s.counters.ejections[static_cast<std::size_t>(reason)];
  return Ejection{reason, s.until};
}

std::optional<Ejection> OutlierDetector::record(std::size_t instance, Outcome outcome, core::TimePoint now) {
  if (ejected(instance, now)) return std::nullopt;
  InstanceState& s = states_[instance];
  switch (outcome) {
    case Outcome::kIgnored:
      return std::nullopt;
    case Outcome::kStalled:
      ++s.window_requests;
      ++s.window_failures;
      return try_eject(instance, EjectReason::kStalled, now);
    case Outcome::kSuccess:
      ++s.window_requests;
      s.consecutive_5xx = 0;
      s.consecutive_gateway = 0;
      return std::nullopt;
    case Outcome::k5xx:
      ++s.window_requests;
      ++s.window_failures;
      ++s.consecutive_5xx;
      s.consecutive_gateway = 0;
      break;
    case Outcome::kGatewayFailure:
      ++s.window_requests;
      ++s.window_failures;
      ++s.consecutive_5xx;
      ++s.consecutive_gateway;
      break;
  }
  if (config_.consecutive_gateway_failure > 0 && s.consecutive_gateway >= config_.consecutive_gateway_failure) {
    return try_eject(instance, EjectReason::kConsecutiveGatewayFailure, now);
  }
  if (config_.consecutive_5xx > 0 && s.consecutive_5xx >= config_.consecutive_5xx) {
    return try_eject(instance, EjectReason::kConsecutive5xx, now);
  }
  return std::nullopt;
}

IntervalReport OutlierDetector::evaluate(core::TimePoint now) {
  IntervalReport report;
  for (std::size_t i = 0; i < states_.size(); ++i) {
    InstanceState& s = states_[i];
    if (s.ejection_active) {
      if (now >= s.until) {
        s.ejection_active = false;
        ++s.counters.returns;
        report.returned.push_back(i);
      }
    } else if (s.multiplier > 0) {
      --s.multiplier;
    }
  }

  if (config_.enforce_failure_percentage) {
    std::vector<std::size_t> judged;  // instances with enough volume
    for (std::size_t i = 0; i < states_.size(); ++i) {
      if (!ejected(i, now) && states_[i].window_requests >= config_.failure_percentage_request_volume) {
        judged.push_back(i);
      }
    }
    if (judged.size() >= config_.failure_percentage_minimum_hosts) {
      std::vector<std::size_t> outliers;
      for (std::size_t i : judged) {
        const InstanceState& s = states_[i];
        if (s.window_failures * 100 >= std::uint64_t{config_.failure_percentage_threshold} * s.window_requests) {
          outliers.push_back(i);
        }
      }
      // Worst first, so the cap keeps the better ones in; ties by index.
      std::sort(outliers.begin(), outliers.end(), [this](std::size_t a, std::size_t b) {
        const InstanceState& x = states_[a];
        const InstanceState& y = states_[b];
        const auto lhs = x.window_failures * y.window_requests;
        const auto rhs = y.window_failures * x.window_requests;
        return lhs != rhs ? lhs > rhs : a < b;
      });
      for (std::size_t i : outliers) {
        if (try_eject(i, EjectReason::kFailurePercentage, now)) report.ejected.push_back(i);
      }
    }
  }

  for (InstanceState& s : states_) {
    s.window_requests = 0;
    s.window_failures = 0;
  }
  return report;
}

}  // namespace sluice::health
