#pragma once
/// Synthetic output text: one word per token from a small fixed vocabulary,
/// obviously not a model. The i-th token of a request is a pure function of
/// (text key, i), where the key is derived from the seed and the prompt, so a
/// later continuation request (continue_final_message) can carry on with the
/// very same words.
#include <cstdint>
#include <string>
#include <string_view>

namespace sluice::engine {

/// Key of one request's text: from the server seed and the prompt identity
/// (for chat: the rendered messages, without a final assistant message that
/// is being continued).
std::uint64_t synthetic_text_key(std::uint64_t seed, std::string_view prompt_identity);

/// The token at `index` (0-based) of the text with `key`: a word with a
/// leading space, e.g. " lorem".
std::string_view synthetic_token(std::uint64_t key, std::int64_t index);

/// Appends tokens [first, first + count) to `out`.
void append_synthetic_text(std::string& out, std::uint64_t key, std::int64_t first, std::int64_t count);

/// How many synthetic tokens a text already holds (its whitespace-separated
/// words): where a continuation starts counting.
std::int64_t count_words(std::string_view text);

}  // namespace sluice::engine
