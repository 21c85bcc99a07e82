#pragma once
/// Splits a byte stream of Server-Sent Events into whole events, so the relay
/// can look at each event (usage chunks, [DONE]) without buffering the whole
/// response. Pure and allocation-light: events are views into an internal
/// buffer that is compacted between feeds. Each byte is scanned once for an
/// event's end, however the stream is cut into feeds, and one event may hold
/// at most kMaxSseEventBytes: an engine that sends more without ending the
/// event is broken (overflowed()).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::proxy {

/// The largest SSE event accepted from an engine (a chunk carries a token or
/// a few; a usage or error event a few hundred bytes).
inline constexpr std::size_t kMaxSseEventBytes = 1 << 20;

struct SseEvent {
  std::string_view raw;   // the event's bytes, including its terminating blank line
  std::string_view data;  // payload of its `data:` line(s), first line only when several
};

class SseParser {
 public:
  /// Appends bytes; returns the events completed by them. The views stay
  /// valid until the next call to feed(). Once overflowed(), returns no
  /// more events and keeps no bytes.
  const std::vector<SseEvent>& feed(std::string_view bytes);
  /// Bytes of an incomplete trailing event.
  std::size_t pending() const { return buffer_.size() - consumed_; }
  /// An event grew past kMaxSseEventBytes without ending: the stream is
  /// broken. Events completed before it were returned.
  bool overflowed() const { return overflowed_; }

 private:
  std::string buffer_;
  std::size_t consumed_ = 0;
  std::size_t scanned_ = 0;  // bytes of buffer_ searched for an event's end already
  bool overflowed_ = false;
  std::vector<SseEvent> events_;
};

struct Usage {
  std::int64_t prompt_tokens = 0;
  std::int64_t completion_tokens = 0;
  /// True for a stream's usage-only chunk (`"choices": []`), which the relay
  /// strips when the client did not ask for it.
  bool usage_only_chunk = false;
};

/// The most tokens an engine's usage may report for one request; larger
/// numbers (and negative ones) are clamped into [0, kMaxUsageTokens].
inline constexpr std::int64_t kMaxUsageTokens = 1'000'000'000;

/// Usage from a JSON body or stream chunk (`"usage":{…}`), if present and
/// not null. Cheap when absent: a substring check before any parsing.
/// Token counts are clamped into [0, kMaxUsageTokens]: a broken engine can
/// neither refund quota nor overflow the sums made of them.
std::optional<Usage> extract_usage(std::string_view json);

}  // namespace sluice::proxy
