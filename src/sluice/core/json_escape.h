#pragma once
/// Appends a JSON string literal (with quotes), escaping as RFC 8259 asks.
/// For hand-built JSON on the hot path, where a JSON library would allocate.
#include <string>
#include <string_view>

namespace sluice::core {

void append_json_string(std::string& out, std::string_view s);

}  // namespace sluice::core
