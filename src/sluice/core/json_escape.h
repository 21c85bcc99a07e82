#pragma once
/// Appends a JSON string literal (with quotes), escaping as RFC 8259 asks.
/// For hand-built JSON on the hot path, where a JSON library would allocate.
/// Bytes that are not valid UTF-8 (RFC 3629: no overlong forms, no
/// surrogates) are written as U+FFFD, so the output is always valid JSON.
#include <cstddef>
#include <string>
#include <string_view>

namespace sluice::core {

void append_json_string(std::string& out, std::string_view s);

/// Length of the valid UTF-8 sequence that starts `s` (1 for ASCII), or 0
/// when `s` is empty or does not start with one.
std::size_t utf8_sequence_length(std::string_view s);

}  // namespace sluice::core
