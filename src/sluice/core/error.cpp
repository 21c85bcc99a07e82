#include "sluice/core/error.h"

#include <nlohmann/json.hpp>

namespace sluice::core {

int http_status(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidJson:
    case ErrorCode::kInvalidRequest:
    case ErrorCode::kContextLengthExceeded: return 400;
    case ErrorCode::kMissingApiKey:
    case ErrorCode::kInvalidApiKey: return 401;
    case ErrorCode::kModelNotFound:
    case ErrorCode::kNotFound: return 404;
    case ErrorCode::kMethodNotAllowed: return 405;
    case ErrorCode::kRequestTimeout: return 408;
    case ErrorCode::kBodyTooLarge: return 413;
    case ErrorCode::kHeadersTooLarge: return 431;
    case ErrorCode::kRateLimited:
    case ErrorCode::kConcurrencyLimited:
    case ErrorCode::kQueueFull:
    case ErrorCode::kQueueTimeout:
    case ErrorCode::kInsufficientQuota: return 429;
    case ErrorCode::kInternal: return 500;
    case ErrorCode::kUpstreamError: return 502;
    case ErrorCode::kNoInstance:
    case ErrorCode::kShuttingDown:
    case ErrorCode::kFaultInjected:
    case ErrorCode::kLimitsUnavailable: return 503;
    case ErrorCode::kUpstreamTimeout: return 504;
  }
  return 500;
}

std::string_view error_type(ErrorCode code) {
  switch (code) {
    case ErrorCode::kMissingApiKey:
    case ErrorCode::kInvalidApiKey: return "authentication_error";
    case ErrorCode::kRateLimited:
    case ErrorCode::kConcurrencyLimited:
    case ErrorCode::kQueueFull:
    case ErrorCode::kQueueTimeout: return "rate_limit_error";
    case ErrorCode::kInsufficientQuota: return "insufficient_quota";  // as OpenAI answers a spent quota
    case ErrorCode::kInternal:
    case ErrorCode::kUpstreamError:
    case ErrorCode::kNoInstance:
    case ErrorCode::kShuttingDown:
    case ErrorCode::kUpstreamTimeout:
    case ErrorCode::kFaultInjected:
    case ErrorCode::kLimitsUnavailable: return "server_error";
    default: return "invalid_request_error";
  }
}

std::string_view error_code_name(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidJson: return "invalid_json";
    case ErrorCode::kInvalidRequest: return "invalid_request";
    case ErrorCode::kContextLengthExceeded: return "context_length_exceeded";
    case ErrorCode::kMissingApiKey: return "missing_api_key";
    case ErrorCode::kInvalidApiKey: return "invalid_api_key";
    case ErrorCode::kModelNotFound: return "model_not_found";
    case ErrorCode::kNotFound: return "not_found";
    case ErrorCode::kMethodNotAllowed: return "method_not_allowed";
    case ErrorCode::kRequestTimeout: return "request_timeout";
    case ErrorCode::kBodyTooLarge: return "request_too_large";
    case ErrorCode::kHeadersTooLarge: return "headers_too_large";
    case ErrorCode::kRateLimited: return "rate_limit_exceeded";
    case ErrorCode::kConcurrencyLimited: return "concurrency_limit_exceeded";
    case ErrorCode::kQueueFull: return "queue_full";
    case ErrorCode::kQueueTimeout: return "queue_timeout";
    case ErrorCode::kInsufficientQuota: return "insufficient_quota";
    case ErrorCode::kInternal: return "internal_error";
    case ErrorCode::kUpstreamError: return "upstream_error";
    case ErrorCode::kNoInstance: return "no_instance_available";
    case ErrorCode::kShuttingDown: return "shutting_down";
    case ErrorCode::kUpstreamTimeout: return "upstream_timeout";
    case ErrorCode::kFaultInjected: return "fault_injected";
    case ErrorCode::kLimitsUnavailable: return "limits_unavailable";
  }
  return "internal_error";
}

std::string to_openai_json(const Error& error) {
  nlohmann::json body;
  body["error"]["message"] = error.message;
  body["error"]["type"] = error_type(error.code);
  body["error"]["param"] = error.param.empty() ? nlohmann::json(nullptr) : nlohmann::json(error.param);
  body["error"]["code"] = error_code_name(error.code);
  // Messages quote what clients sent (a path, a header): bytes that are not
  // UTF-8 become U+FFFD instead of making the serializer throw.
  return body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace sluice::core
