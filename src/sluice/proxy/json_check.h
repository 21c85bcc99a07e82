#pragma once
/// A whole-document JSON check (RFC 8259) that never recurses: every byte is
/// looked at once, containers are tracked on a fixed stack, and nesting
/// beyond `max_depth` is refused. Used where a body first enters the gateway
/// (request_summary.cpp) and before a recursive JSON library (nlohmann) is
/// given bytes it did not get from us, so that no body can exhaust the stack
/// or fail to parse later.
///
/// Accepts exactly one value with optional whitespace around it. Strings
/// must be valid UTF-8 (no overlong forms, no surrogates) and their
/// `\u` escapes must pair surrogates, and numbers must be finite as a
/// double (not 1e400), as nlohmann's parser requires.
#include <cstddef>
#include <string_view>

namespace sluice::proxy {

/// The deepest nesting of objects and arrays a request body may have
/// (`{}` is depth 1). OpenAI request bodies, JSON schemas of tools
/// included, stay far below it.
inline constexpr std::size_t kMaxJsonDepth = 128;

enum class JsonFault {
  kNone,
  kSyntax,    // not JSON (includes invalid UTF-8 and a document cut short)
  kTooDeep,   // nests deeper than max_depth
  kTrailing,  // content after the value
};

struct JsonCheck {
  JsonFault fault = JsonFault::kNone;
  std::size_t offset = 0;  // byte where the fault was seen
  explicit operator bool() const { return fault == JsonFault::kNone; }
};

/// `max_depth` is capped at kMaxJsonDepth.
JsonCheck check_json(std::string_view text, std::size_t max_depth = kMaxJsonDepth);

}  // namespace sluice::proxy
