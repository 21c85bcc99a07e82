#pragma once
/// OpenAI wire format of the engine simulator: parsing /v1/chat/completions
/// and /v1/completions bodies into what the timing model needs, and rendering
/// responses and SSE chunks in OpenAI's exact shapes. No I/O.
#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>

#include "sluice/core/error.h"
#include "sluice/engine/timing_model.h"

namespace sluice::engine {

enum class ApiKind { kChat, kCompletion };

/// A validated completion request.
struct CompletionRequest {
  ApiKind kind = ApiKind::kChat;
  /// The `model` field; empty when absent.
  std::string model;
  /// max_completion_tokens, else max_tokens; absent = drawn by the engine.
  std::optional<std::int64_t> max_tokens;
  bool stream = false;
  bool include_usage = false;
  /// vLLM's `ignore_eos` (see SequenceSpec::ignore_eos).
  bool ignore_eos = false;
  std::string cache_salt;
  /// Counted with core::ChatTokenEstimate (chat) or core::estimate_text_tokens
  /// (completions): exactly what the gateway estimates.
  std::int64_t prompt_tokens = 0;
  /// The rendered prompt (for the prefix cache).
  std::string prompt_text;
  /// Key of the synthetic output text (see synthetic_text.h).
  std::uint64_t text_key = 0;
  /// Index of the first generated token in the synthetic text: 0, or the
  /// number of words of a final assistant message being continued.
  std::int64_t first_token_index = 0;
};

/// Parses and validates a request body. Errors are OpenAI-shaped 400s
/// (kInvalidJson, kInvalidRequest with `param`).
std::expected<CompletionRequest, core::Error> parse_completion_request(ApiKind kind, std::string_view body,
                                                                       std::uint64_t seed);

struct ResponseMeta {
  std::string id;       // "chatcmpl-…" / "cmpl-…"
  std::int64_t created = 0;  // Unix seconds
  std::string model;
};

struct Usage {
  std::int64_t prompt_tokens = 0;
  std::int64_t completion_tokens = 0;
  std::int64_t cached_tokens = 0;
};

/// The whole non-streamed response body.
std::string render_completion(ApiKind kind, const ResponseMeta& meta, std::string_view text, FinishReason reason,
                              const Usage& usage);

/// Renders SSE events (`data: {…}\n\n`) of one streamed response. The JSON
/// prefix common to every chunk is built once, so a token costs one append.
class ChunkRenderer {
 public:
  ChunkRenderer(ApiKind kind, const ResponseMeta& meta);
  /// One token; the first chat chunk also carries delta.role = "assistant".
  void append_token(std::string& out, std::string_view token, bool first) const;
  /// Empty delta (or text) with finish_reason.
  void append_finish(std::string& out, FinishReason reason) const;
  /// `choices: []` with usage (only when stream_options.include_usage).
  void append_usage(std::string& out, const Usage& usage) const;
  /// An error event, as vLLM sends when a stream fails mid-way (vllm_error_json).
  static void append_error(std::string& out, const core::Error& error, int status);
  static void append_done(std::string& out);

 private:
  ApiKind kind_;
  std::string prefix_;  // `data: {"id":…,"object":…,"created":…,"model":…,"choices":`
};

/// {"prompt_tokens":…,"completion_tokens":…,"total_tokens":…,"prompt_tokens_details":{"cached_tokens":…}},
/// with `"completion_tokens_details":null` too when asked (vLLM's non-streamed usage).
void append_usage_json(std::string& out, const Usage& usage, bool completion_details = false);

/// What the engine answers in `system_fingerprint` (vLLM: "vllm-<version>-<hash>").
inline constexpr std::string_view kSystemFingerprint = "sluice-engine-sim";

/// vLLM's error `type` for an HTTP status: its exception names for the
/// statuses it raises itself ("BadRequestError", "NotFoundError",
/// "InternalServerError", "ServiceUnavailableError"), else the status phrase.
std::string_view vllm_error_type(int status);
/// vLLM's error body: {"error":{"message","type","param","code":<status as a number>}}.
std::string vllm_error_json(const core::Error& error, int status);
/// vLLM's validation message: "<message> (parameter=<param>, value=<value>)".
std::string vllm_validation_message(std::string_view message, std::string_view param, std::string_view value);

}  // namespace sluice::engine
