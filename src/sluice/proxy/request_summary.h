#pragma once
/// What routing needs from an OpenAI request body, parsed with simdjson
/// (on-demand, so fields the gateway does not need are skipped, not built).
#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>

#include "sluice/core/error.h"

namespace sluice::proxy {

enum class ApiKind { kChat, kCompletion };

struct RequestSummary {
  std::string model;
  bool stream = false;
  bool include_usage = false;           // stream_options.include_usage
  bool has_stream_options = false;      // the client sent stream_options at all
  bool has_cache_salt = false;          // the client sent its own cache_salt (dropped)
  std::optional<std::int64_t> max_tokens;  // max_tokens or max_completion_tokens
  std::int64_t input_tokens = 0;        // estimate (core/token_estimate.h)
  std::string user;                     // OpenAI `user`, for affinity later
  /// Offsets of the `model` value token (with its quotes) in the body, so
  /// the upstream name can be spliced in without re-serializing.
  std::size_t model_value_offset = 0;
  std::size_t model_value_length = 0;
};

/// Parses and validates a request body. `body` must stay alive during the
/// call only. Errors are 400s with `param` naming the field.
std::expected<RequestSummary, core::Error> summarize_request(std::string_view body, ApiKind kind);

}  // namespace sluice::proxy
