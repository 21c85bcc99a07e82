#pragma once
/// Input-token estimates without a tokenizer. Used by the gateway for
/// admission and scheduling, and by engine-sim as its "real" tokenizer, so the
/// two agree exactly in tests. Rule: ceil(UTF-8 bytes / 4), the usual English
/// average for BPE vocabularies, plus a fixed per-message overhead for chat
/// templates.
#include <cstdint>
#include <string_view>

namespace sluice::core {

inline constexpr std::int64_t kChatMessageOverheadTokens = 4;
inline constexpr std::int64_t kChatReplyPrimingTokens = 3;

/// Tokens in a piece of text: ceil(bytes / 4); empty text is 0 tokens.
constexpr std::int64_t estimate_text_tokens(std::string_view text) {
  return static_cast<std::int64_t>((text.size() + 3) / 4);
}

/// Accumulates a chat prompt message by message.
class ChatTokenEstimate {
 public:
  void add_message(std::string_view role, std::string_view content) {
    add_message_tokens(role, estimate_text_tokens(content));
  }
  /// Same, when the content was already counted (content given as parts).
  void add_message_tokens(std::string_view role, std::int64_t content_tokens) {
    tokens_ += kChatMessageOverheadTokens + estimate_text_tokens(role) + content_tokens;
    ++messages_;
  }
  /// Total prompt tokens, including the assistant-reply priming.
  std::int64_t total() const { return messages_ == 0 ? 0 : tokens_ + kChatReplyPrimingTokens; }

 private:
  std::int64_t tokens_ = 0;
  std::int64_t messages_ = 0;
};

}  // namespace sluice::core
