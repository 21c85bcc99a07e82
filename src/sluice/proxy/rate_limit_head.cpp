#include "sluice/proxy/rate_limit_head.h"

#include <fmt/format.h>

#include <algorithm>

namespace sluice::proxy {

std::string rate_limit_head(const tenancy::RateLimitStatus& s) {
  std::string out;
  auto it = std::back_inserter(out);
  if (s.limit_requests) {
    fmt::format_to(it, "x-ratelimit-limit-requests: {}\r\nx-ratelimit-remaining-requests: {}\r\n"
                       "x-ratelimit-reset-requests: {}\r\n",
                   *s.limit_requests, s.remaining_requests, tenancy::format_reset(s.reset_requests));
  }
  if (s.limit_tokens) {
    fmt::format_to(it, "x-ratelimit-limit-tokens: {}\r\nx-ratelimit-remaining-tokens: {}\r\n"
                       "x-ratelimit-reset-tokens: {}\r\n",
                   *s.limit_tokens, s.remaining_tokens, tenancy::format_reset(s.reset_tokens));
  }
  return out;
}

std::string retry_after_line(core::Duration wait) {
  const auto seconds = std::max<std::int64_t>(1, std::chrono::ceil<std::chrono::seconds>(wait).count());
  return fmt::format("Retry-After: {}\r\n", seconds);
}

}  // namespace sluice::proxy
