#pragma once
/// The engine timing model: a continuous-batching engine (after vLLM V1's
/// scheduler) advanced one iteration at a time by a driver. Pure code: no
/// I/O, no wall clock; every call takes `now` from the driver, so the same
/// model runs under the real-time HTTP server, under unit tests with a
/// manual clock, and inside the discrete-event simulator in virtual time.
///
/// One iteration ("step"):
///   1. Running sequences are scheduled in admission order: a sequence still
///      prefilling takes min(remaining prompt, budget left) tokens (chunked
///      prefill), a decoding one takes 1 token. The budget is
///      max_num_batched_tokens.
///   2. While budget is left and fewer than max_num_seqs run, waiting
///      sequences are admitted in FIFO order — only when prompt + output
///      target fits in the free KV tokens (reserved whole at admission, so
///      there is never preemption; a head that does not fit blocks the queue).
///      At admission the prefix cache says how many prompt tokens are cached;
///      those are not prefilled.
///   3. Step time = decode_base_ms + decode_per_seq_ms × B
///                + prefill tokens of the step / prefill_tokens_per_s
///                + kv_read_us_per_token × context tokens of the B sequences,
///      where B = sequences scheduled in the step and a sequence's context is
///      what it holds in KV before the step (cached + prefilled prompt tokens,
///      plus generated tokens).
///   4. At the end of the step a sequence whose prefill completed emits its
///      first token; a decoding one emits its next token. A sequence that
///      reached its output target finishes and frees its KV.
///
/// Driver protocol: `begin_step(now)` → duration d; the driver waits d (or
/// advances virtual time by d); `finish_step(now + d, events)`. Submissions
/// and cancels may come at any time, including inside a step (a cancelled
/// sequence simply produces no event at the step's end).
///
/// Thread-safety: none. One driver owns the model.
#include <cstdint>
#include <deque>
#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "sluice/core/clock.h"
#include "sluice/engine/prefix_cache.h"
#include "sluice/engine/profile.h"
#include "sluice/obs/histogram.h"

namespace sluice::engine {

using SequenceId = std::uint64_t;

/// What the model needs to know about one request.
struct SequenceSpec {
  SequenceId id = 0;
  /// Prompt tokens, as counted by core::ChatTokenEstimate / estimate_text_tokens.
  std::int64_t prompt_tokens = 0;
  /// The prompt as text, for the prefix cache (empty: nothing to cache).
  std::string prefix_text;
  /// Prefix-cache namespace: different salts never share cache entries.
  std::string cache_salt;
  /// The request's max_tokens; when absent the output length is drawn from
  /// the profile's distribution. A request with max_tokens always generates
  /// exactly that many (the simulated model never stops early).
  std::optional<std::int64_t> max_tokens;
  /// vLLM's `ignore_eos`: never stop on an end-of-sequence token. Without
  /// max_tokens the sequence runs to the context limit instead of a drawn length.
  bool ignore_eos = false;
};

enum class FinishReason { kStop, kLength };
std::string_view to_string(FinishReason reason);

enum class SubmitError {
  kNotReady,            // loading, asleep or waking
  kInvalidPromptTokens,  // prompt_tokens < 1
  kInvalidMaxTokens,     // max_tokens < 1
  kTooLong,              // prompt + max_tokens > max_model_len
  kExceedsKvCapacity,    // prompt + output can never fit in the KV cache
  kDuplicateId,
};
std::string_view to_string(SubmitError error);

/// Accepted submission: what the sequence will do.
struct Admission {
  std::int64_t output_tokens = 0;
  FinishReason finish_reason = FinishReason::kLength;
};

/// One token produced at the end of a step.
struct StepEvent {
  SequenceId id = 0;
  /// 0-based index of the produced token (0 = first token).
  std::int64_t token_index = 0;
  /// Prompt tokens served from the prefix cache.
  std::int64_t cached_tokens = 0;
  bool finished = false;
  FinishReason finish_reason = FinishReason::kLength;
};

enum class EngineState { kLoading, kAwake, kAsleep, kWaking };
std::string_view to_string(EngineState state);

/// Monotonic counters, named after the vLLM metrics they feed.
struct ModelCounters {
  std::int64_t prompt_tokens = 0;      // vllm:prompt_tokens_total (on prefill completion)
  std::int64_t generation_tokens = 0;  // vllm:generation_tokens_total
  std::int64_t prefix_queries = 0;     // vllm:prefix_cache_queries_total (tokens)
  std::int64_t prefix_hits = 0;        // vllm:prefix_cache_hits_total (tokens)
  std::int64_t success_stop = 0;       // vllm:request_success_total{finished_reason="stop"}
  std::int64_t success_length = 0;     // vllm:request_success_total{finished_reason="length"}
  std::int64_t cancelled = 0;          // cancel() of a live sequence
  std::int64_t aborted = 0;            // failed by sleep() or abort_all()
  std::int64_t steps = 0;
};

/// Draws an output length for a request without max_tokens: a pure function
/// of (distribution, seed, id), so runs repeat regardless of arrival order.
std::int64_t draw_output_length(const OutputLengthDistribution& dist, std::uint64_t seed, SequenceId id);

class TimingModel {
 public:
  /// Starts awake (loaded). `seed` drives output-length draws.
  TimingModel(EngineProfile profile, std::uint64_t seed);
  TimingModel(const TimingModel&) = delete;
  TimingModel& operator=(const TimingModel&) = delete;

  const EngineProfile& profile() const { return profile_; }

  /// Queues a request at `now` (its arrival time for TTFT).
  std::expected<Admission, SubmitError> submit(SequenceSpec spec, core::TimePoint now);
  /// Removes a waiting or running sequence and frees its KV. False if unknown
  /// (already finished or never submitted).
  bool cancel(SequenceId id);

  /// Plans the next step at `now` and returns its duration, or nullopt when
  /// nothing can be scheduled (idle, not awake) or a step is already open.
  std::optional<core::Duration> begin_step(core::TimePoint now);
  /// Closes the open step at `now` (its end) and appends the produced tokens
  /// to `events`. No-op without an open step.
  void finish_step(core::TimePoint now, std::vector<StepEvent>& events);
  bool in_step() const { return in_step_; }
  /// True when sequences wait or run and the engine is awake at `now`.
  bool has_work(core::TimePoint now) const;
  /// The duration the step would take if it were planned now, without
  /// planning it (for the discrete-event driver's look-ahead).
  core::Duration step_time(std::int64_t batch, std::int64_t prefill_tokens, std::int64_t context_tokens) const;

  /// Cold start: not ready until now + cold_load_s.
  void begin_cold_load(core::TimePoint now);
  /// Fails every waiting and running sequence (their ids are appended to
  /// `aborted`) and leaves the engine's state as it is: what a dead engine
  /// core (the unhealthy fault) does to the requests it was serving.
  void abort_all(core::TimePoint now, std::vector<SequenceId>& aborted);
  /// Sleep level 1: fails every waiting and running sequence (their ids are
  /// appended to `aborted`), drops the prefix cache, refuses submissions.
  void sleep(core::TimePoint now, std::vector<SequenceId>& aborted);
  /// From asleep: ready again at now + wake_s; returns when. Awake: returns now.
  core::TimePoint wake_up(core::TimePoint now);
  EngineState state(core::TimePoint now) const;
  /// When a loading or waking engine becomes awake.
  core::TimePoint ready_at() const { return ready_at_; }

  std::int64_t num_running() const { return static_cast<std::int64_t>(running_.size()); }
  std::int64_t num_waiting() const { return static_cast<std::int64_t>(waiting_.size()); }
  std::int64_t kv_used_tokens() const { return kv_used_; }
  /// Reserved KV tokens / capacity, 0..1.
  double kv_usage() const;
  const ModelCounters& counters() const { return counters_; }
  const obs::Histogram& ttft_seconds() const { return ttft_; }
  const obs::Histogram& inter_token_seconds() const { return itl_; }
  const PrefixCache& prefix_cache() const { return prefix_cache_; }

 private:
  struct Sequence {
    SequenceSpec spec;
    std::int64_t output_target = 0;
    FinishReason finish_reason = FinishReason::kLength;
    std::int64_t cached_tokens = 0;
    std::int64_t prefilled = 0;  // prompt tokens in KV (cached included)
    std::int64_t generated = 0;
    std::int64_t reserved = 0;   // KV tokens reserved at admission
    core::TimePoint arrival{};
    core::TimePoint last_token{};
    bool running = false;
  };
  struct Planned {
    SequenceId id;
    std::int64_t prefill_tokens;  // 0 = decode
  };

  void refresh(core::TimePoint now);
  void admit(Sequence& seq);
  void remove_running(SequenceId id);

  EngineProfile profile_;
  std::uint64_t seed_;
  PrefixCache prefix_cache_;
  std::unordered_map<SequenceId, Sequence> sequences_;
  std::deque<SequenceId> waiting_;
  std::vector<SequenceId> running_;
  std::vector<Planned> planned_;
  bool in_step_ = false;
  std::int64_t kv_used_ = 0;
  EngineState state_ = EngineState::kAwake;
  core::TimePoint ready_at_{};
  ModelCounters counters_;
  obs::Histogram ttft_;
  obs::Histogram itl_;
};

}  // namespace sluice::engine
