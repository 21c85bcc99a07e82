#pragma once
/// Splits a byte stream of Server-Sent Events into whole events, so the relay
/// can look at each event (usage chunks, [DONE]) without buffering the whole
/// response. Pure and allocation-light: events are views into an internal
/// buffer that is compacted between feeds.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::proxy {

struct SseEvent {
  std::string_view raw;   // the event's bytes, including its terminating blank line
  std::string_view data;  // payload of its `data:` line(s), first line only when several
};

class SseParser {
 public:
  /// Appends bytes; returns the events completed by them. The views stay
  /// valid until the next call to feed().
  const std::vector<SseEvent>& feed(std::string_view bytes);
  /// Bytes of an incomplete trailing event.
  std::size_t pending() const { return buffer_.size() - consumed_; }

 private:
  std::string buffer_;
  std::size_t consumed_ = 0;
  std::vector<SseEvent> events_;
};

struct Usage {
  std::int64_t prompt_tokens = 0;
  std::int64_t completion_tokens = 0;
  /// True for a stream's usage-only chunk (`"choices": []`), which the relay
  /// strips when the client did not ask for it.
  bool usage_only_chunk = false;
};

/// Usage from a JSON body or stream chunk (`"usage":{…}`), if present and
/// not null. Cheap when absent: a substring check before any parsing.
std::optional<Usage> extract_usage(std::string_view json);

}  // namespace sluice::proxy
