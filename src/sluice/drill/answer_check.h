#pragma once
/// What the drill's load saw, and how one answer is judged. Every request
/// asks for exactly `max_tokens` tokens (with `ignore_eos`), so a whole
/// answer with fewer lost tokens and one with more duplicated them (a stream
/// continued on another instance with a gap or an overlap at the seam).
/// Pure.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace sluice::drill {

struct LoadCounters {
  std::int64_t requests_sent = 0;    // non-streamed
  std::int64_t requests_failed = 0;  // non-streamed: anything but a 200 with a whole answer
  std::int64_t streams_sent = 0;
  /// Streamed requests that did not deliver a whole stream: refused with a
  /// status, an error event, or cut before `[DONE]`.
  std::int64_t streams_broken = 0;
  std::int64_t answers_checked = 0;  // whole answers whose length was counted
  std::int64_t tokens_lost = 0;
  std::int64_t tokens_duplicated = 0;
  /// Not sent: too many requests already in flight.
  std::int64_t dropped = 0;
  /// The longest any request took, from its connect to its last byte,
  /// failed ones included: what a fault cost the unluckiest client in delay.
  double slowest_s = 0;
  /// Why requests failed or streams broke ("status 503", "stream cut before [DONE]").
  std::map<std::string, std::int64_t> failure_reasons;

  std::int64_t sent() const { return requests_sent + streams_sent; }
};

/// The tokens of a whole answer. engine-sim emits one word per token, so
/// the text's words are counted; when the text is not made of such words
/// (a real engine) the engine's usage.completion_tokens is used instead, if
/// the answer carried it.
std::int64_t answer_tokens(std::string_view text, std::optional<std::int64_t> usage_completion_tokens);

/// Adds a whole answer of `tokens` tokens to the lost/duplicated counts.
void count_whole_answer(LoadCounters& counters, std::int64_t tokens, std::int64_t max_tokens);

/// Records a failed non-streamed request or a broken stream, with its reason.
void count_failure(LoadCounters& counters, bool stream, const std::string& reason);

/// Reads one streamed answer event by event (the `data:` payloads): the
/// text of its content deltas, an error event, the usage chunk, `[DONE]`.
class StreamReading {
 public:
  void on_event(std::string_view data);
  bool done() const { return done_; }
  /// An `{"error": …}` event arrived.
  bool errored() const { return errored_; }
  const std::string& error_code() const { return error_code_; }
  const std::string& text() const { return text_; }
  std::optional<std::int64_t> usage_completion_tokens() const { return usage_; }

 private:
  std::string text_;
  std::string error_code_;
  std::optional<std::int64_t> usage_;
  bool done_ = false;
  bool errored_ = false;
};

/// The content text and usage.completion_tokens of a non-streamed chat
/// completion body; nullopt when it is not one.
struct WholeAnswer {
  std::string text;
  std::optional<std::int64_t> completion_tokens;
};
std::optional<WholeAnswer> parse_chat_completion(std::string_view body);

}  // namespace sluice::drill
