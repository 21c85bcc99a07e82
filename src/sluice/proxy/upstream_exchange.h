#pragma once
/// One request forwarded to one engine instance and its response relayed to
/// the client: non-streamed bodies are read whole (they are small), streams
/// are relayed event by event as they arrive, the usage chunk is read (and
/// stripped when the client did not ask for it). A stream that breaks after
/// its first event is left open for the caller, who continues it on another
/// instance (stream_continuation.h) or ends it with end_broken_stream().
#include <functional>
#include <optional>
#include <string>

#include "sluice/core/error.h"
#include "sluice/health/outlier_detector.h"
#include "sluice/route/retry_policy.h"
#include "sluice/net/asio.h"
#include "sluice/net/stream.h"
#include "sluice/proxy/request_context.h"
#include "sluice/proxy/stream_continuation.h"
#include "sluice/proxy/worker.h"

namespace sluice::proxy {

struct ExchangePlan {
  const balance::Instance* instance = nullptr;
  std::string target;        // upstream path, e.g. "/v1/chat/completions"
  std::string body;          // upstream body
  bool stream = false;
  bool client_wants_usage = false;
  core::Duration connect_timeout{};
  /// The request's overall deadline (all tries).
  std::chrono::steady_clock::time_point deadline{};
  /// Limits of this try; zero = none. per_try: until the whole response of
  /// a non-streamed request, or the first event of a stream; first_token:
  /// until a stream's first event; stream_idle: between two stream events.
  core::Duration per_try{};
  core::Duration first_token{};
  core::Duration stream_idle{};
  /// An answer with this status is held back, not relayed, so the caller
  /// may retry it elsewhere (ExchangeOutcome::held). Null = relay all.
  std::function<bool(int status)> hold;
  /// Called as a stream is relayed, with the events (≈ tokens) relayed so far
  /// (counting from rc.streamed_tokens, so continuations keep counting).
  std::function<void(std::int64_t)> on_streamed;
  /// The try watch (health/try_watch.h): the model's instances in this
  /// request's routing table (their progress is what a silent instance is
  /// compared with; null = no stall detection), the model's stall setting
  /// (0 = off), and the prompt's prefill allowance before a first event.
  const std::vector<std::shared_ptr<balance::Instance>>* siblings = nullptr;
  core::Duration stall{};
  core::Duration prefill_allowance{};
  /// The model's name at the engine, for the try watch's canary (borrowed
  /// from the request's config and routing snapshots).
  std::string_view canary_model;
  /// Streams: records every event relayed to the client (null = none).
  StreamTranscript* transcript = nullptr;
  /// A continuation try (null = a first try or a retry): the client's stream
  /// is open already, the engine's events are spliced into it, and whatever
  /// goes wrong leaves it open (stream_broken) — nothing else is written.
  const StreamSplicer* splicer = nullptr;
};

/// An answer held back for a possible retry.
struct HeldResponse {
  int status = 0;
  std::string content_type;
  std::string body;
};

struct ExchangeOutcome {
  std::optional<core::Error> error;  // to send when nothing was sent yet
  bool response_started = false;     // some bytes went to the client
  bool client_ok = true;             // the client connection is still usable
  bool client_gone = false;          // the client closed before the end
  /// How the try failed, for the retry policy (kNone with `status` < 500:
  /// it was answered).
  route::TryResult result;
  /// The overall deadline passed (no time for another try).
  bool total_timeout = false;
  std::optional<HeldResponse> held;
  /// What the try said about the instance, for outlier detection.
  health::Outcome verdict = health::Outcome::kIgnored;
  /// The engine failed after the client's stream had started, and the
  /// client's stream is still open (no error event, no end): continue it or
  /// end it with end_broken_stream(). `stream_stalled`: a time limit (first
  /// token, idle) ended the try rather than the engine.
  bool stream_broken = false;
  bool stream_stalled = false;
  /// The try was given up because its instance is known gone (exited,
  /// failed its checks, ejected) or was found stalled (then `verdict` is
  /// kStalled), or its connection was refused or reset: moving the request
  /// elsewhere moves load, it adds none (the retry budget does not count it).
  bool instance_gone = false;
};

/// Forwards and relays; fills `rc` (status, tokens, ttfb). Runs until the
/// response ended or failed. On a failure before any byte reached the
/// client, returns the error to send instead.
net::asio::awaitable<ExchangeOutcome> run_exchange(Worker& worker, net::Stream& client,
                                                   RequestContext& rc, const ExchangePlan& plan,
                                                   std::optional<net::Stream>& upstream);

/// Ends an open client stream: `events` (SSE bytes, may be empty), then the
/// end of the chunked body. False when the write failed.
net::asio::awaitable<bool> end_client_stream(net::Stream& client, std::string_view events);

/// Ends a broken stream that was not continued: an SSE error event
/// (upstream_error, or upstream_timeout when it stalled), then the end of
/// the body; records 502 / 504 in `rc`. False when the write failed.
net::asio::awaitable<bool> end_broken_stream(net::Stream& client, RequestContext& rc, bool stalled);

}  // namespace sluice::proxy
