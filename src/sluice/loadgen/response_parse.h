#pragma once
/// What `sluice load` needs from the gateway's answers: the `error.code` of
/// an error body, and whether a stream chunk carries generated text. Pure.
#include <string>
#include <string_view>

namespace sluice::loadgen {

enum class ChunkKind {
  kContent,  // choices[0].delta.content (chat) or choices[0].text is non-empty
  kError,    // {"error": …}: the stream broke
  kOther,    // role-only or finish chunks, the usage chunk, anything unparsable
};

/// Kind of one SSE event's data (without the `data: ` prefix).
ChunkKind classify_chunk(std::string_view data);

/// `error.code` of an OpenAI-shaped error body; "" when absent.
std::string error_code_of(std::string_view body);

}  // namespace sluice::loadgen
