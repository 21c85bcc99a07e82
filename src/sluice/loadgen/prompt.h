#pragma once
/// The chat requests `sluice load` sends: a prompt sized so that the
/// gateway's input-token estimate (core/token_estimate.h) equals the
/// arrival's input_tokens exactly, starting with a tag unique to the run and
/// the request so that no prefix cache can serve it from an earlier one.
/// Pure.
#include <cstdint>
#include <string>
#include <string_view>

namespace sluice::loadgen {

struct ChatRequestSpec {
  std::string_view model;
  std::int64_t input_tokens = 0;  // the gateway's estimate of the whole prompt
  std::int64_t max_tokens = 0;
  bool stream = false;            // streams ask for stream_options.include_usage
  std::string_view tag;           // unique per request; the start of the content
  /// vLLM's `ignore_eos`: the answer has exactly max_tokens tokens (drills).
  bool ignore_eos = false;
};

/// `{"model":…,"messages":[{"role":"user","content":"<tag> lorem ipsum…"}],
/// "max_tokens":…,"stream":…[,"ignore_eos":true]}`. The estimate is exact when input_tokens ≥
/// min_input_tokens(tag); below that the content is the tag alone and the
/// prompt costs min_input_tokens(tag).
std::string chat_request_body(const ChatRequestSpec& spec);

/// The estimate of a prompt whose content is `tag` alone.
std::int64_t min_input_tokens(std::string_view tag);

/// A short tag unique to (run nonce, request sequence number): both in base 36.
std::string request_tag(std::uint32_t nonce, std::uint64_t seq);

}  // namespace sluice::loadgen
