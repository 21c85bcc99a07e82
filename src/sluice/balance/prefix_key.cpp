#include "sluice/balance/prefix_key.h"

#include "sluice/balance/stable_hash.h"

namespace sluice::balance {

std::uint64_t prefix_key(std::string_view prompt, std::size_t prefix_tokens, std::uint64_t seed) {
  // Compared by division so a huge `prefix_tokens` cannot overflow.
  const std::size_t bytes = prefix_tokens > prompt.size() / kPrefixBytesPerToken
                                ? prompt.size()
                                : prefix_tokens * kPrefixBytesPerToken;
  return stable_hash(prompt.substr(0, bytes), seed);
}

}  // namespace sluice::balance
