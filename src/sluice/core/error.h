#pragma once
/// The one error taxonomy of the request path, and the one place that turns an
/// error into an HTTP status and an OpenAI-shaped body:
///   {"error":{"message":"…","type":"…","param":null|"…","code":"…"}}
#include <string>
#include <string_view>

namespace sluice::core {

enum class ErrorCode {
  kInvalidJson,        // 400 body is not JSON
  kInvalidRequest,     // 400 missing or invalid field
  kContextLengthExceeded,  // 400 prompt + max_tokens beyond the model's context length
  kMissingApiKey,      // 401 no Authorization header
  kInvalidApiKey,      // 401 unknown key
  kModelNotFound,      // 404 unknown model, or one the tenant may not use
  kNotFound,           // 404 unknown path
  kMethodNotAllowed,   // 405
  kRequestTimeout,     // 408 client too slow to send its request
  kBodyTooLarge,       // 413
  kHeadersTooLarge,    // 431
  kRateLimited,        // 429 requests or tokens per minute used up (or a request larger than tpm)
  kConcurrencyLimited, // 429 too many admitted, unfinished requests
  kQueueFull,          // 429 the model's queue holds the tenant's max_queue already
  kQueueTimeout,       // 429 waited max_queue_wait in the queue
  kInsufficientQuota,  // 429 a tenant's or key's budget (spend cap) is used up
  kInternal,           // 500
  kUpstreamError,      // 502 upstream broke or answered garbage
  kNoInstance,         // 503 no healthy instance of the model
  kShuttingDown,       // 503 server is draining
  kUpstreamTimeout,    // 504
  kFaultInjected,      // 503, or the status a route's fault injection gives
  kLimitsUnavailable,  // 503 limits are shared between replicas through Redis, which is unreachable (fallback: closed)
};

struct Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string message;
  std::string param;  // empty = null
  int status = 0;     // HTTP status instead of http_status(code); 0 = the code's
};

/// HTTP status for a code.
int http_status(ErrorCode code);
/// HTTP status for an error: its own, or its code's.
inline int http_status(const Error& error) { return error.status != 0 ? error.status : http_status(error.code); }
/// OpenAI `type` field ("invalid_request_error", "authentication_error", …).
std::string_view error_type(ErrorCode code);
/// OpenAI `code` field ("invalid_api_key", "model_not_found", …).
std::string_view error_code_name(ErrorCode code);
/// The OpenAI-shaped JSON body for an error. Never throws: bytes of the
/// message or param that are not UTF-8 become U+FFFD.
std::string to_openai_json(const Error& error);

}  // namespace sluice::core
