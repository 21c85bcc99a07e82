#pragma once
/// The key of prefix affinity: a stable hash of the first N tokens of a
/// prompt. Requests whose prompts share those tokens (a long system prompt,
/// a few-shot preamble, a document being asked about) get the same key, so
/// consistent hashing sends them where that prefix is already in the
/// engine's KV cache; pick with pick_bounded_load so that a popular prefix
/// never piles onto an overloaded instance.
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace sluice::balance {

/// Tokens are approximated as in core/token_estimate.h: 4 bytes each.
inline constexpr std::size_t kPrefixBytesPerToken = 4;

/// A common default for N: long enough to skip chat-template boilerplate,
/// short enough to fit inside typical system prompts.
inline constexpr std::size_t kDefaultPrefixTokens = 256;

/// Hash of the first `prefix_tokens` × 4 bytes of `prompt` (all of it when
/// shorter). `seed` separates key spaces: pass a hash of the tenant when the
/// model salts its prefix cache per tenant (cache_salt), since two tenants
/// then never share KV-cache entries and gain nothing from meeting on one
/// instance. Cutting inside a UTF-8 sequence is harmless: only equality of
/// the bytes matters.
std::uint64_t prefix_key(std::string_view prompt, std::size_t prefix_tokens = kDefaultPrefixTokens,
                         std::uint64_t seed = 0);

}  // namespace sluice::balance
