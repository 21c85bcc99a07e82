#include "sluice/route/retry_policy.h"

#include <algorithm>

namespace sluice::route {

std::string_view to_string(TryFailure failure) {
  switch (failure) {
    case TryFailure::kNone: return "none";
    case TryFailure::kConnectFailure: return "connect_failure";
    case TryFailure::kRefused: return "refused";
    case TryFailure::kReset: return "reset";
    case TryFailure::kPerTryTimeout: return "per_try_timeout";
    case TryFailure::kStatus: return "status";
  }
  return "none";
}

std::string_view reason_label(const TryResult& result) {
  if (!result.answered()) return to_string(result.failure);
  switch (result.status) {
    case 502: return "status_502";
    case 503: return "status_503";
    case 504: return "status_504";
    default: break;
  }
  if (result.status >= 500 && result.status <= 599) return "5xx";
  if (result.status >= 400 && result.status <= 499) return "4xx";
  return "other";
}

namespace {

bool has(const config::RetryPolicy& policy, config::RetryOn bit) { return (policy.retry_on & bit) != 0; }

bool is_gateway_status(int status) { return status == 502 || status == 503 || status == 504; }

bool no_answer_retriable(const config::RetryPolicy& policy, TryFailure failure) {
  // 5xx and gateway_error cover every way of getting no answer.
  if (has(policy, config::kRetry5xx) || has(policy, config::kRetryGatewayError)) return true;
  switch (failure) {
    case TryFailure::kConnectFailure:
      return has(policy, config::kRetryConnectFailure);
    case TryFailure::kRefused:
      return has(policy, config::kRetryConnectFailure) || has(policy, config::kRetryRefused);
    case TryFailure::kReset:
    case TryFailure::kPerTryTimeout:
      return has(policy, config::kRetryReset);
    case TryFailure::kNone:
    case TryFailure::kStatus:
      break;
  }
  return false;
}

bool answer_retriable(const config::RetryPolicy& policy, int status) {
  if (has(policy, config::kRetryStatusCodes) &&
      std::find(policy.retriable_status_codes.begin(), policy.retriable_status_codes.end(), status) !=
          policy.retriable_status_codes.end()) {
    return true;
  }
  if (has(policy, config::kRetry5xx) && status >= 500) return true;
  if (has(policy, config::kRetryGatewayError) && is_gateway_status(status)) return true;
  return false;
}

}  // namespace

bool retriable(const config::RetryPolicy& policy, const TryResult& result) {
  return result.answered() ? answer_retriable(policy, result.status) : no_answer_retriable(policy, result.failure);
}

bool should_retry(const config::RetryPolicy& policy, const TryResult& result, std::uint32_t retries_done,
                  bool response_started, core::Duration elapsed, core::Duration total_timeout) {
  if (response_started) return false;
  if (retries_done >= policy.retries) return false;
  if (total_timeout > core::Duration::zero() && elapsed >= total_timeout) return false;
  return retriable(policy, result);
}

core::Duration backoff_cap(const config::RetryPolicy& policy, std::uint32_t retry_number) {
  const core::Duration max = std::max(policy.backoff_max, core::Duration::zero());
  core::Duration cap = std::clamp(policy.backoff_base, core::Duration::zero(), max);
  // Double n-1 times, stopping at max: no 2^(n-1) is ever formed.
  for (std::uint32_t i = 1; i < retry_number && cap > core::Duration::zero() && cap < max; ++i) {
    cap = cap > max - cap ? max : cap + cap;
  }
  return cap;
}

core::Duration backoff(const config::RetryPolicy& policy, std::uint32_t retry_number, double u) {
  const core::Duration cap = backoff_cap(policy, retry_number);
  if (!(u > 0.0)) return core::Duration::zero();  // also NaN
  const double unit = std::min(u, 1.0);
  const double cap_ticks = static_cast<double>(cap.count());
  const double ticks = unit * cap_ticks;
  // Compared as doubles first: near Duration::max() the product can round
  // up to 2^63, which does not convert back.
  if (ticks >= cap_ticks) return cap;
  return core::Duration(static_cast<core::Duration::rep>(ticks));
}

}  // namespace sluice::route
