#include "sluice/engine/synthetic_text.h"

#include <array>

#include "sluice/engine/hashing.h"

namespace sluice::engine {
namespace {

constexpr std::array<std::string_view, 16> kVocabulary{
    " lorem", " ipsum", " sim", " token", " engine", " batch", " decode", " prefill",
    " cache", " block", " sluice", " gate", " stream", " tenant", " queue", " kv",
};

}  // namespace

std::uint64_t synthetic_text_key(std::uint64_t seed, std::string_view prompt_identity) {
  return hash_bytes(prompt_identity, hash_combine(seed, 0x5EED7E87ULL));
}

std::string_view synthetic_token(std::uint64_t key, std::int64_t index) {
  const auto h = hash_combine(key, static_cast<std::uint64_t>(index));
  return kVocabulary[h % kVocabulary.size()];
}

void append_synthetic_text(std::string& out, std::uint64_t key, std::int64_t first, std::int64_t count) {
  for (std::int64_t i = 0; i < count; ++i) out += synthetic_token(key, first + i);
}

std::int64_t count_words(std::string_view text) {
  std::int64_t words = 0;
  bool in_word = false;
  for (const char c : text) {
    const bool space = c == ' ' || c == '\n' || c == '\t' || c == '\r';
    if (!space && !in_word) ++words;
    in_word = !space;
  }
  return words;
}

}  // namespace sluice::engine
