// An engine's streamed answer, cut into reads at places the input chooses:
// the SSE parser, usage extraction, the transcript, the splicer of a
// continued stream and the events that close it.
// Invariants: events plus pending bytes are the input (until an event
// overflows), usage is within [0, kMaxUsageTokens], and spliced chunks are
// JSON.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "sluice/proxy/json_check.h"
#include "sluice/proxy/sse_parser.h"
#include "sluice/proxy/stream_continuation.h"

namespace {

using namespace sluice::proxy;

void fail(const char* what, std::string_view detail) {
  std::fprintf(stderr, "invariant broken: %s\n%.*s\n", what, static_cast<int>(detail.size() > 2000 ? 2000 : detail.size()),
               detail.data());
  std::abort();
}

void check_usage(const std::optional<Usage>& usage, std::string_view data) {
  if (!usage) return;
  for (const std::int64_t v : {usage->prompt_tokens, usage->completion_tokens}) {
    if (v < 0 || v > kMaxUsageTokens) fail("usage out of range", data);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  // First byte: the read size (1..256 bytes); second: which API.
  const std::size_t read_size = static_cast<std::size_t>(data[0]) + 1;
  const ApiKind kind = (data[1] & 1) ? ApiKind::kCompletion : ApiKind::kChat;
  const std::string_view stream(reinterpret_cast<const char*>(data + 2), size - 2);

  SseParser parser;
  StreamTranscript original;
  StreamTranscript spliced_view;
  original.record(
      R"({"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":" a"},"finish_reason":null}]})");
  const StreamSplicer splicer(original, 9'000'000'000'000'000'000LL, -5);
  std::string seen;
  for (std::size_t at = 0; at < stream.size(); at += read_size) {
    const auto& events = parser.feed(stream.substr(at, read_size));
    for (const SseEvent& event : events) {
      seen.append(event.raw);
      check_usage(extract_usage(event.data), event.data);
      original.record(event.data);
      if (const auto out = splicer.splice(event.data)) {
        if (!out->empty() && out->front() == '{' && *out != event.data && !check_json(*out)) {
          fail("the splicer made a chunk that is not JSON", *out);
        }
        check_usage(extract_usage(*out), *out);
        spliced_view.record(*out);
      }
    }
    if (parser.overflowed()) break;
    if (parser.pending() > kMaxSseEventBytes) fail("an event grew past the cap", "");
  }
  if (!parser.overflowed() && seen.size() + parser.pending() != stream.size()) fail("bytes lost between events", stream);

  const std::string_view body = kind == ApiKind::kChat
                                    ? R"({"model":"m","messages":[{"role":"user","content":"q"}],"max_tokens":9223372036854775807,"min_tokens":-9223372036854775807})"
                                    : R"({"model":"m","prompt":"q","max_tokens":40,"min_tokens":-9223372036854775807})";
  const SeamStep step = next_seam_step(original, body, kind, SeamLimits{0, 3, false});
  if (step.kind == SeamStep::Kind::kContinue && !check_json(step.body)) fail("a continuation that is not JSON", step.body);
  const std::string closing = closing_events(spliced_view, kind, true, -7);
  SseParser closing_parser;
  for (const SseEvent& event : closing_parser.feed(closing)) {
    if (event.data != "[DONE]" && !check_json(event.data)) fail("a closing event that is not JSON", event.data);
    check_usage(extract_usage(event.data), event.data);
  }
  return 0;
}
