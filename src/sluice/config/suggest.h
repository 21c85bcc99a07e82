#pragma once
/// "Did you mean …?" for misspelled keys and names.
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::config {

/// Edit distance (insertions, deletions, substitutions, and swaps of two
/// neighbouring characters each cost 1).
std::size_t edit_distance(std::string_view a, std::string_view b);

/// The candidate closest to `word`, if it is close enough to be a likely typo
/// (at most a third of the word's length apart, at least 1 edit allowed).
std::optional<std::string_view> closest_match(std::string_view word,
                                              std::span<const std::string_view> candidates);

/// `expected one of a, b, c, got "x"`, with ` (did you mean "b"?)` when close.
std::string expected_one_of(std::span<const std::string_view> choices, std::string_view got);

/// `items` (strings or string views) joined as `a, b, c`.
template <typename Range>
std::string join(const Range& items, std::string_view separator = ", ") {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += separator;
    out += item;
  }
  return out;
}

}  // namespace sluice::config
