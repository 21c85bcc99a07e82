#pragma once
/// Whether a failed try of a request is tried again, and after how long.
/// Pure: time and random draws are arguments. Thread-safe (no state); the
/// shared retry budget is retry_budget.h.
///
/// What a try can end in (TryResult): no answer at all — connect failed or
/// timed out (kConnectFailure), connection refused (kRefused), connection
/// reset or closed before the response header (kReset), no response header
/// within timeouts.per_try (kPerTryTimeout) — or an answer with an HTTP
/// status (kStatus for >= 500, kNone for the rest; TryResult::answer()
/// classifies).
///
/// retry_on conditions, compared with Envoy's x-envoy-retry-on:
///
///   sluice                  retries on                        Envoy
///   connect_failure         kConnectFailure, kRefused         connect-failure (same: a refused
///                                                             connect is a connect failure)
///   refused                 kRefused                          (none; Envoy's refused-stream is
///                                                             HTTP/2 REFUSED_STREAM, which
///                                                             HTTP/1.1 engines never send)
///   reset                   kReset, kPerTryTimeout            reset (disconnect, reset, read
///                                                             timeout; per-try timeouts too)
///   gateway_error           502, 503, 504; kConnectFailure,   gateway-error (same)
///                           kRefused, kReset, kPerTryTimeout
///   5xx                     any status >= 500, and all that   5xx (same)
///                           gateway_error covers
///   retriable_status_codes  status in retriable_status_codes  retriable-status-codes (same)
///
/// An answer below 500 (2xx, 4xx) is retried only when its status is listed
/// and retriable_status_codes is on (e.g. 429 from an engine that sheds
/// load). Default: connect_failure | refused | reset | gateway_error, codes
/// [503], 2 retries — Envoy's route default is no retries at all; an LLM
/// engine restarting or out of KV cache answers 503 or drops connections,
/// and a retry on another instance usually succeeds.
///
/// No retry once any byte of the response reached the client (a stream
/// cannot be restarted), once `retries` retries were made, or once the
/// request's total time is used up; then the retry budget decides
/// (retry_budget.h), and the retry waits backoff().
#include <cstdint>
#include <string_view>

#include "sluice/config/config.h"
#include "sluice/core/clock.h"

namespace sluice::route {

enum class TryFailure : std::uint8_t {
  kNone,            // an answer below 500 (status holds it)
  kConnectFailure,  // connect failed or timed out
  kRefused,         // connection refused
  kReset,           // reset or closed before the response header
  kPerTryTimeout,   // no response header within timeouts.per_try
  kStatus,          // an answer >= 500 (status holds it)
};

struct TryResult {
  TryFailure failure = TryFailure::kNone;
  int status = 0;  // HTTP status when an answer arrived (kNone, kStatus); else 0

  /// An answer with `status`: kStatus for >= 500, else kNone.
  static TryResult answer(int status) {
    return {status >= 500 ? TryFailure::kStatus : TryFailure::kNone, status};
  }
  /// Whether an HTTP answer arrived (as opposed to no answer at all).
  bool answered() const { return failure == TryFailure::kNone || failure == TryFailure::kStatus; }
};

/// "none", "connect_failure", "refused", "reset", "per_try_timeout", "status".
std::string_view to_string(TryFailure failure);

/// A bounded metric label for why a try failed: to_string(failure) for no
/// answer; "status_502", "status_503", "status_504", else "5xx", "4xx",
/// "other" for answers. (Bounded so a label never grows per status code.)
std::string_view reason_label(const TryResult& result);

/// Whether `policy.retry_on` covers this result (the table above). Ignores
/// the retry count, time and budget.
bool retriable(const config::RetryPolicy& policy, const TryResult& result);

/// Whether to try again after `result`: retriable(), no byte of the response
/// sent to the client yet, fewer than policy.retries retries made
/// (`retries_done`), and time left: elapsed < total_timeout (a zero
/// total_timeout means none).
bool should_retry(const config::RetryPolicy& policy, const TryResult& result, std::uint32_t retries_done,
                  bool response_started, core::Duration elapsed, core::Duration total_timeout);

/// Wait before retry number `retry_number` (1-based; 0 is taken as 1):
/// full jitter, u × min(backoff_max, backoff_base × 2^(n-1)), with `u`
/// uniform in [0, 1) (clamped). Never overflows for large n; zero when
/// either bound is zero.
core::Duration backoff(const config::RetryPolicy& policy, std::uint32_t retry_number, double u);

/// The cap the jitter is drawn under: min(backoff_max, backoff_base × 2^(n-1)).
core::Duration backoff_cap(const config::RetryPolicy& policy, std::uint32_t retry_number);

}  // namespace sluice::route
