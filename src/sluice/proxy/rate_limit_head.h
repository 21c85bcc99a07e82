#pragma once
/// The quota headers of a response: OpenAI's x-ratelimit-* set, and
/// Retry-After on refusals.
#include <string>

#include "sluice/core/clock.h"
#include "sluice/tenancy/quota_ledger.h"

namespace sluice::proxy {

/// x-ratelimit-{limit,remaining,reset}-{requests,tokens} lines for the
/// limits the tenant has ("" when it has none).
std::string rate_limit_head(const tenancy::RateLimitStatus& status);
/// "Retry-After: N\r\n", whole seconds rounded up, at least 1.
std::string retry_after_line(core::Duration wait);

}  // namespace sluice::proxy
