#pragma once
/// Stream continuation, the pure part. When an engine fails in the middle of
/// a streamed completion (reset, idle timeout, crash), the gateway keeps
/// what the client already has and asks another instance to continue it:
/// the original request plus the text so far, with vLLM's
/// `continue_final_message` (chat) or the text appended to the prompt
/// (completions), and max_tokens reduced by the tokens already produced. The
/// continuation's chunks are rewritten as chunks of the original stream, so
/// the client sees one stream, with no duplicated and no missing token.
///
/// Here: StreamTranscript (what was relayed), build_continuation_body(),
/// StreamSplicer (continuation chunk → original chunk), next_seam_step()
/// (continue, close, or give up) and closing_events(). No I/O; the relay
/// (upstream_exchange.cpp) and the tries loop (completion_handler.cpp) use
/// them. Only single-choice text streams are continued: tool calls and
/// logprobs cannot be spliced faithfully.
#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sluice/proxy/request_summary.h"

namespace sluice::proxy {

/// Why a broken stream cannot be continued.
enum class ContinuationRefusal {
  kSeveralChoices,      // n > 1, or a chunk of another choice
  kToolCalls,           // the stream carried tool_calls / function_call
  kLogprobs,            // the stream carried logprobs, or the request asks for them
  kEngineError,         // the engine sent an error event before breaking
  kUnsupportedRequest,  // a body that cannot be extended (echo, token prompts, several prompts)
};
std::string_view to_string(ContinuationRefusal refusal);

/// What the client has received of one streamed completion: the original
/// stream's identity (id, created, model), per choice the text and the
/// tokens relayed, and whether it can be continued at all. A token is a
/// chunk whose choice carries non-empty text (engines send one token per
/// chunk). Cost per event: one simdjson on-demand pass over a reusable
/// buffer; no allocation per token once the buffers have grown.
/// Not thread-safe: one per request.
class StreamTranscript {
 public:
  struct Choice {
    std::string text;
    std::int64_t tokens = 0;
    bool finished = false;  // its finish_reason was relayed
  };

  /// Records one relayed event's data: a chunk's JSON, `[DONE]`, or an
  /// error object. Data that is not a JSON object is ignored.
  void record(std::string_view data);

  const std::string& id() const { return id_; }
  std::int64_t created() const { return created_; }
  const std::string& model() const { return model_; }
  /// Choice 0's text and tokens (a continuable stream has only that one).
  std::string_view text() const;
  std::int64_t tokens() const;
  const std::vector<Choice>& choices() const { return choices_; }
  /// Every choice seen has relayed its finish_reason: nothing to generate.
  bool finished() const;
  /// `[DONE]` was relayed: the stream only lacks its end of body.
  bool done() const { return done_; }
  /// A usage chunk was relayed (it comes last, before `[DONE]`).
  bool usage_relayed() const { return usage_relayed_; }
  /// Why this stream cannot be continued, if it cannot.
  std::optional<ContinuationRefusal> refusal() const { return refusal_; }

 private:
  void refuse(ContinuationRefusal why) {
    if (!refusal_) refusal_ = why;
  }
  Choice& choice(std::int64_t index);

  std::string id_;
  std::int64_t created_ = 0;
  std::string model_;
  std::vector<Choice> choices_;
  bool done_ = false;
  bool usage_relayed_ = false;
  std::optional<ContinuationRefusal> refusal_;
  std::vector<char> buffer_;  // the event, padded for simdjson
};

/// The request body of a continuation, or the news that none is needed.
struct ContinuationBody {
  std::string body;                 // empty when max_tokens_reached
  bool max_tokens_reached = false;  // the text so far used up max_tokens
};

/// Builds the continuation of `upstream_body` (the body the failed try was
/// sent, as build_upstream_body made it): chat gets a final
/// `{"role":"assistant","content":text}` (or `text` appended to a final
/// assistant message the client was already continuing) with
/// `"continue_final_message":true,"add_generation_prompt":false`;
/// completions get `text` appended to the prompt. `max_tokens` and
/// `max_completion_tokens`, where present, drop by `tokens_so_far`.
/// Refuses n > 1, logprobs requested, echo, and prompts that are not one
/// string.
std::expected<ContinuationBody, ContinuationRefusal> build_continuation_body(std::string_view upstream_body,
                                                                           ApiKind kind, std::string_view text_so_far,
                                                                           std::int64_t tokens_so_far);

/// Rewrites a continuation's stream as the rest of the original one: each
/// chunk gets the original's `id`, `created` and `model` (choice indexes are
/// kept); the role is removed from deltas and a chunk left with nothing (the
/// role-only first chunk) is dropped; usage reports the original prompt and
/// the completion tokens of both sides of the seam. Errors and `[DONE]` pass
/// as they are. Allocates per chunk (a JSON round trip): it runs only after
/// a failure.
class StreamSplicer {
 public:
  /// `original`: the stream being continued. `tokens_before`: completion
  /// tokens relayed before this seam. `prompt_tokens`: the original
  /// request's prompt tokens (the continuation's prompt also holds the text
  /// so far, which the client must not be charged as prompt).
  StreamSplicer(const StreamTranscript& original, std::int64_t tokens_before, std::int64_t prompt_tokens);

  /// The data to relay in place of a continuation event's data; nullopt
  /// drops the event.
  std::optional<std::string> splice(std::string_view data) const;

 private:
  std::string id_;
  std::int64_t created_;
  std::string model_;
  std::int64_t tokens_before_;
  std::int64_t prompt_tokens_;
};

/// The SSE events (`data: …\n\n` each) that end a stream with nothing left
/// to generate: a finish chunk (finish_reason "length") unless every choice
/// finished already, a usage chunk when the client asked for usage and none
/// was relayed, and `[DONE]`. Empty when `[DONE]` was relayed already.
std::string closing_events(const StreamTranscript& transcript, ApiKind kind, bool include_usage,
                           std::int64_t prompt_tokens);

/// What the request the stream belongs to allows.
struct SeamLimits {
  std::uint32_t continuations_done = 0;
  std::uint32_t max_continuations = 0;  // the retry policy's `retries`
  bool deadline_passed = false;
};

/// What to do with a stream that broke mid-way.
struct SeamStep {
  enum class Kind {
    kContinue,  // send `body` to another instance and splice its stream
    kClose,     // nothing left to generate: end the client's stream normally
    kGiveUp,    // end the client's stream with the error event
  };
  Kind kind = Kind::kGiveUp;
  std::string body;                               // kContinue
  std::optional<ContinuationRefusal> refusal;     // kGiveUp because the stream cannot be continued
};

/// Decides from the transcript, the failed try's body and the limits.
SeamStep next_seam_step(const StreamTranscript& transcript, std::string_view upstream_body, ApiKind kind,
                        const SeamLimits& limits);

}  // namespace sluice::proxy
