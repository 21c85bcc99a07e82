#include "sluice/loadgen/prompt.h"

#include <fmt/format.h>

#include "sluice/core/json_escape.h"
#include "sluice/core/token_estimate.h"

namespace sluice::loadgen {
namespace {

/// Plain ASCII words: nothing to escape, every byte one byte.
constexpr std::string_view kFiller = "lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor ";

/// Tokens of one user message with `content_tokens` of content, all overheads included.
std::int64_t prompt_tokens(std::int64_t content_tokens) {
  core::ChatTokenEstimate estimate;
  estimate.add_message_tokens("user", content_tokens);
  return estimate.total();
}

void append_base36(std::string& out, std::uint64_t value) {
  char digits[16];
  int n = 0;
  do {
    digits[n++] = "0123456789abcdefghijklmnopqrstuvwxyz"[value % 36];
    value /= 36;
  } while (value > 0);
  while (n > 0) out.push_back(digits[--n]);
}

}  // namespace

std::int64_t min_input_tokens(std::string_view tag) { return prompt_tokens(core::estimate_text_tokens(tag)); }

std::string request_tag(std::uint32_t nonce, std::uint64_t seq) {
  std::string tag;
  append_base36(tag, nonce);
  tag.push_back('-');
  append_base36(tag, seq);
  return tag;
}

std::string chat_request_body(const ChatRequestSpec& spec) {
  // ceil(bytes / 4) == content_tokens exactly when bytes == 4 · content_tokens.
  const std::int64_t content_tokens = spec.input_tokens - prompt_tokens(0);
  const std::size_t bytes = content_tokens > 0 ? static_cast<std::size_t>(content_tokens) * 4 : 0;
  std::string content(spec.tag);
  if (content.size() < bytes) content.push_back(' ');
  while (content.size() < bytes) content.append(kFiller.substr(0, std::min(kFiller.size(), bytes - content.size())));

  std::string body;
  body.reserve(content.size() + spec.model.size() + 160);
  body += "{\"model\":";
  core::append_json_string(body, spec.model);
  body += ",\"messages\":[{\"role\":\"user\",\"content\":";
  core::append_json_string(body, content);
  body += fmt::format("}}],\"max_tokens\":{},\"stream\":{}", spec.max_tokens, spec.stream);
  if (spec.stream) body += ",\"stream_options\":{\"include_usage\":true}";
  if (spec.ignore_eos) body += ",\"ignore_eos\":true";
  body += "}";
  return body;
}

}  // namespace sluice::loadgen
