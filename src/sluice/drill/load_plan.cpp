#include "sluice/drill/load_plan.h"

#include <cmath>

namespace sluice::drill {

namespace {
/// Loopback drills need no more; a typo such as 20000 should not flood the host.
constexpr double kMaxRate = 1000;
}  // namespace

bool is_streamed(std::uint64_t k, double stream_share) {
  const auto at = [stream_share](std::uint64_t n) { return std::floor(static_cast<double>(n) * stream_share); };
  return at(k + 1) > at(k);
}

std::string check_load_plan(const LoadPlan& plan) {
  if (!(plan.rate > 0) || plan.rate > kMaxRate) return "--rate must be in (0, 1000] requests per second";
  if (!(plan.stream_share >= 0) || plan.stream_share > 1) return "--stream-share must be in [0, 1]";
  if (plan.max_tokens < 1) return "--max-tokens must be at least 1";
  if (plan.input_tokens < 1) return "the prompt must have at least one token";
  if (!(plan.request_timeout_s > 0)) return "--request-timeout must be positive";
  if (plan.model.empty()) return "no model to drill";
  return "";
}

}  // namespace sluice::drill
