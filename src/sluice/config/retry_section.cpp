/// The `retry` and `timeouts` mappings, read the same way under `server`
/// (the defaults) and under each route (on top of the server's values).
#include <fmt/format.h>

#include <array>
#include <limits>

#include "sluice/config/sections.h"
#include "sluice/config/suggest.h"
#include "sluice/core/duration_text.h"

namespace sluice::config {
namespace {

constexpr std::int64_t kMaxUint32 = std::numeric_limits<std::uint32_t>::max();
constexpr std::int64_t kMaxRetries = 10;

constexpr std::array<std::string_view, 6> kRetryOnNames = {"connect_failure", "refused", "reset",
                                                           "gateway_error", "5xx", "retriable_status_codes"};
constexpr std::array<std::uint32_t, 6> kRetryOnBits = {kRetryConnectFailure, kRetryRefused, kRetryReset,
                                                       kRetryGatewayError, kRetry5xx, kRetryStatusCodes};

/// retry_on: [connect_failure, …]; replaces the whole set (an empty list = retry on nothing).
void read_retry_on(Reader& reader, const MapReader& r, RetryPolicy& out) {
  if (!r.has("retry_on")) return;
  const YAML::Node list = r.get("retry_on");
  const std::string key = r.key_of("retry_on");
  if (!reader.expect_list(list, key, r.location_of_child("retry_on"))) return;
  std::uint32_t bits = 0;
  for (std::size_t i = 0; i < list.size(); ++i) {
    const std::string item = fmt::format("{}[{}]", key, i);
    const Location at = reader.where(item);
    auto name = reader.string(list[i], item, at, /*allow_empty=*/false);
    if (!name) continue;
    std::size_t k = 0;
    while (k < kRetryOnNames.size() && kRetryOnNames[k] != *name) ++k;
    if (k == kRetryOnNames.size()) {
      reader.fail(at, item, expected_one_of(kRetryOnNames, *name));
      continue;
    }
    bits |= kRetryOnBits[k];
  }
  out.retry_on = bits;
}

/// retriable_status_codes: [503, 429]; replaces the list.
void read_status_codes(Reader& reader, const MapReader& r, RetryPolicy& out) {
  if (!r.has("retriable_status_codes")) return;
  const YAML::Node list = r.get("retriable_status_codes");
  const std::string key = r.key_of("retriable_status_codes");
  if (!reader.expect_list(list, key, r.location_of_child("retriable_status_codes"))) return;
  out.retriable_status_codes.clear();
  for (std::size_t i = 0; i < list.size(); ++i) {
    const std::string item = fmt::format("{}[{}]", key, i);
    if (auto code = reader.integer(list[i], item, reader.where(item), 400, 599)) {
      out.retriable_status_codes.push_back(static_cast<int>(*code));
    }
  }
}

}  // namespace

void read_retry(Reader& reader, const MapReader& parent, RetryPolicy& out) {
  if (!parent.has("retry")) return;
  MapReader r = parent.child("retry", {"retries", "retry_on", "retriable_status_codes", "backoff_base", "backoff_max",
                                       "budget_percent", "min_retry_concurrency"});
  if (!r.is_map()) return;
  set_if(out.retries, r.integer("retries", 0, kMaxRetries));
  read_retry_on(reader, r, out);
  read_status_codes(reader, r, out);
  read_duration_pair(reader, r, "backoff_base", out.backoff_base, "backoff_max", out.backoff_max,
                     DurationOrder::kAtMost);
  set_if(out.budget_percent, r.integer("budget_percent", 0, 100));
  set_if(out.min_retry_concurrency, r.integer("min_retry_concurrency", 0, kMaxUint32));
}

void read_timeouts(const MapReader& parent, TimeoutConfig& out) {
  if (!parent.has("timeouts")) return;
  MapReader t = parent.child("timeouts", {"total", "per_try", "first_token", "stream_idle"});
  if (!t.is_map()) return;
  set_if(out.total, t.duration("total", /*allow_zero=*/true));
  set_if(out.per_try, t.duration("per_try", /*allow_zero=*/true));
  set_if(out.first_token, t.duration("first_token", /*allow_zero=*/true));
  set_if(out.stream_idle, t.duration("stream_idle", /*allow_zero=*/true));
}

}  // namespace sluice::config
