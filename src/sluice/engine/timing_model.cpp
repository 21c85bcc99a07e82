#include "sluice/engine/timing_model.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "sluice/engine/hashing.h"

namespace sluice::engine {
namespace {

/// core::estimate_text_tokens counts 4 bytes per token, so a KV block of N
/// tokens covers 4·N bytes of prompt text.
constexpr std::int64_t kBytesPerToken = 4;

}  // namespace

std::string_view to_string(FinishReason reason) { return reason == FinishReason::kStop ? "stop" : "length"; }

std::string_view to_string(SubmitError error) {
  switch (error) {
    case SubmitError::kNotReady: return "engine is not ready (loading, asleep or waking up)";
    case SubmitError::kInvalidPromptTokens: return "prompt must contain at least one token";
    case SubmitError::kInvalidMaxTokens: return "max_tokens must be at least 1";
    case SubmitError::kTooLong: return "prompt tokens plus max_tokens exceed the model's maximum context length";
    case SubmitError::kExceedsKvCapacity: return "request does not fit in the KV cache";
    case SubmitError::kDuplicateId: return "duplicate sequence id";
  }
  return "invalid request";
}

std::string_view to_string(EngineState state) {
  switch (state) {
    case EngineState::kLoading: return "loading";
    case EngineState::kAwake: return "awake";
    case EngineState::kAsleep: return "asleep";
    case EngineState::kWaking: return "waking";
  }
  return "awake";
}

std::int64_t draw_output_length(const OutputLengthDistribution& dist, std::uint64_t seed, SequenceId id) {
  const std::int64_t lo = std::max<std::int64_t>(dist.min, 1);
  const std::int64_t hi = std::max(dist.max, lo);
  const double u = unit_interval(hash_combine(hash_combine(seed, 0x07E7ULL), id));
  double value = 0;
  switch (dist.kind) {
    case OutputLengthKind::kFixed: value = dist.mean; break;
    case OutputLengthKind::kUniform: value = static_cast<double>(lo) + std::floor(u * static_cast<double>(hi - lo + 1)); break;
    case OutputLengthKind::kExponential: value = std::ceil(-dist.mean * std::log1p(-u)); break;
  }
  if (!(value >= static_cast<double>(lo))) return lo;  // also catches NaN
  if (value >= static_cast<double>(hi)) return hi;
  return static_cast<std::int64_t>(value);
}

TimingModel::TimingModel(EngineProfile profile, std::uint64_t seed)
    : profile_(std::move(profile)),
      seed_(seed),
      prefix_cache_(profile_.prefix_cache_blocks, std::max<std::int64_t>(profile_.block_tokens, 1) * kBytesPerToken),
      ttft_(obs::latency_buckets_seconds()),
      itl_(obs::fine_latency_buckets_seconds()) {}

void TimingModel::refresh(core::TimePoint now) {
  if ((state_ == EngineState::kLoading || state_ == EngineState::kWaking) && now >= ready_at_) state_ = EngineState::kAwake;
}

EngineState TimingModel::state(core::TimePoint now) const {
  if ((state_ == EngineState::kLoading || state_ == EngineState::kWaking) && now >= ready_at_) return EngineState::kAwake;
  return state_;
}

std::expected<Admission, SubmitError> TimingModel::submit(SequenceSpec spec, core::TimePoint now) {
  refresh(now);
  if (state_ != EngineState::kAwake) return std::unexpected(SubmitError::kNotReady);
  if (spec.prompt_tokens < 1) return std::unexpected(SubmitError::kInvalidPromptTokens);
  if (spec.max_tokens && *spec.max_tokens < 1) return std::unexpected(SubmitError::kInvalidMaxTokens);
  if (sequences_.contains(spec.id)) return std::unexpected(SubmitError::kDuplicateId);
  const std::int64_t room = profile_.max_model_len - spec.prompt_tokens;
  Admission admission;
  if (spec.max_tokens) {
    if (*spec.max_tokens > room) return std::unexpected(SubmitError::kTooLong);
    admission = {*spec.max_tokens, FinishReason::kLength};
  } else {
    if (room < 1) return std::unexpected(SubmitError::kTooLong);
    if (spec.ignore_eos) {
      admission = {room, FinishReason::kLength};
    } else {
      // The "model" decides to stop; a draw cut by the context limit ends on length.
      const std::int64_t drawn = draw_output_length(profile_.output_length, seed_, spec.id);
      admission = drawn > room ? Admission{room, FinishReason::kLength} : Admission{drawn, FinishReason::kStop};
    }
  }
  if (spec.prompt_tokens + admission.output_tokens > profile_.kv_cache_tokens) {
    return std::unexpected(SubmitError::kExceedsKvCapacity);
  }
  Sequence seq;
  seq.output_target = admission.output_tokens;
  seq.finish_reason = admission.finish_reason;
  seq.arrival = now;
  const SequenceId id = spec.id;
  seq.spec = std::move(spec);
  sequences_.emplace(id, std::move(seq));
  waiting_.push_back(id);
  return admission;
}

bool TimingModel::cancel(SequenceId id) {
  const auto it = sequences_.find(id);
  if (it == sequences_.end()) return false;
  if (it->second.running) {
    kv_used_ -= it->second.reserved;
    remove_running(id);
  } else {
    waiting_.erase(std::find(waiting_.begin(), waiting_.end(), id));
  }
  sequences_.erase(it);
  ++counters_.cancelled;
  return true;
}

void TimingModel::remove_running(SequenceId id) {
  const auto it = std::find(running_.begin(), running_.end(), id);
  if (it != running_.end()) running_.erase(it);
}

bool TimingModel::has_work(core::TimePoint now) const {
  return state(now) == EngineState::kAwake && (!running_.empty() || !waiting_.empty());
}

core::Duration TimingModel::step_time(std::int64_t batch, std::int64_t prefill_tokens, std::int64_t context_tokens) const {
  double ms = profile_.decode_base_ms + profile_.decode_per_seq_ms * static_cast<double>(batch) +
              profile_.kv_read_us_per_token * static_cast<double>(context_tokens) / 1000.0;
  if (profile_.prefill_tokens_per_s > 0) ms += 1000.0 * static_cast<double>(prefill_tokens) / profile_.prefill_tokens_per_s;
  // Rounded to the nanosecond, so exact figures stay exact.
  return core::Duration(std::llround(std::max(ms, 0.0) * 1e6));
}

void TimingModel::admit(Sequence& seq) {
  const std::int64_t block = std::max<std::int64_t>(profile_.block_tokens, 1);
  std::int64_t cached = 0;
  if (!seq.spec.prefix_text.empty()) {
    cached = prefix_cache_.match(seq.spec.cache_salt, seq.spec.prefix_text) * block;
    // At least one prompt token is always computed (it yields the first logits).
    cached = std::min(cached, (seq.spec.prompt_tokens - 1) / block * block);
  }
  counters_.prefix_queries += seq.spec.prompt_tokens;
  counters_.prefix_hits += cached;
  seq.cached_tokens = cached;
  seq.prefilled = cached;
  seq.reserved = seq.spec.prompt_tokens + seq.output_target;
  seq.running = true;
  kv_used_ += seq.reserved;
}

std::optional<core::Duration> TimingModel::begin_step(core::TimePoint now) {
  refresh(now);
  if (in_step_ || state_ != EngineState::kAwake) return std::nullopt;
  planned_.clear();
  std::int64_t budget = profile_.max_num_batched_tokens;
  std::int64_t prefill = 0;
  std::int64_t context = 0;
  for (const SequenceId id : running_) {
    if (budget == 0) break;
    const Sequence& seq = sequences_.at(id);
    const std::int64_t remaining = seq.spec.prompt_tokens - seq.prefilled;
    if (remaining > 0) {
      const std::int64_t n = std::min(remaining, budget);
      planned_.push_back({id, n});
      budget -= n;
      prefill += n;
      context += seq.prefilled;
    } else {
      planned_.push_back({id, 0});
      budget -= 1;
      context += seq.prefilled + seq.generated;
    }
  }
  while (!waiting_.empty() && budget > 0 && num_running() < profile_.max_num_seqs) {
    Sequence& seq = sequences_.at(waiting_.front());
    if (seq.spec.prompt_tokens + seq.output_target > profile_.kv_cache_tokens - kv_used_) break;
    const SequenceId id = waiting_.front();
    waiting_.pop_front();
    admit(seq);
    running_.push_back(id);
    const std::int64_t n = std::min(seq.spec.prompt_tokens - seq.prefilled, budget);
    planned_.push_back({id, n});
    budget -= n;
    prefill += n;
    context += seq.prefilled;
  }
  if (planned_.empty()) return std::nullopt;
  in_step_ = true;
  ++counters_.steps;
  return step_time(static_cast<std::int64_t>(planned_.size()), prefill, context);
}

void TimingModel::finish_step(core::TimePoint now, std::vector<StepEvent>& events) {
  if (!in_step_) return;
  in_step_ = false;
  for (const Planned& p : planned_) {
    const auto it = sequences_.find(p.id);
    if (it == sequences_.end()) continue;  // cancelled during the step
    Sequence& seq = it->second;
    if (p.prefill_tokens > 0) {
      seq.prefilled += p.prefill_tokens;
      if (seq.prefilled < seq.spec.prompt_tokens) continue;
      // Prefill done: its blocks are now computed and reusable.
      if (!seq.spec.prefix_text.empty()) {
        prefix_cache_.insert(seq.spec.cache_salt, seq.spec.prefix_text);
        std::string().swap(seq.spec.prefix_text);
      }
      counters_.prompt_tokens += seq.spec.prompt_tokens;
      ttft_.observe(core::to_seconds(now - seq.arrival));
    } else {
      itl_.observe(core::to_seconds(now - seq.last_token));
    }
    seq.last_token = now;
    StepEvent event{p.id, seq.generated, seq.cached_tokens, false, seq.finish_reason};
    ++seq.generated;
    ++counters_.generation_tokens;
    if (seq.generated >= seq.output_target) {
      event.finished = true;
      ++(seq.finish_reason == FinishReason::kStop ? counters_.success_stop : counters_.success_length);
      kv_used_ -= seq.reserved;
      remove_running(p.id);
      sequences_.erase(it);
    }
    events.push_back(event);
  }
  planned_.clear();
}

void TimingModel::begin_cold_load(core::TimePoint now) {
  state_ = EngineState::kLoading;
  ready_at_ = now + core::from_seconds(profile_.cold_load_s);
}

void TimingModel::abort_all(core::TimePoint now, std::vector<SequenceId>& aborted) {
  refresh(now);
  for (const SequenceId id : running_) aborted.push_back(id);
  for (const SequenceId id : waiting_) aborted.push_back(id);
  counters_.aborted += static_cast<std::int64_t>(sequences_.size());
  sequences_.clear();
  running_.clear();
  waiting_.clear();
  planned_.clear();
  in_step_ = false;
  kv_used_ = 0;
}

void TimingModel::sleep(core::TimePoint now, std::vector<SequenceId>& aborted) {
  abort_all(now, aborted);
  prefix_cache_.clear();
  state_ = EngineState::kAsleep;
}

core::TimePoint TimingModel::wake_up(core::TimePoint now) {
  refresh(now);
  if (state_ == EngineState::kAsleep) {
    state_ = EngineState::kWaking;
    ready_at_ = now + core::from_seconds(profile_.wake_s);
  }
  return state_ == EngineState::kAwake ? now : ready_at_;
}

double TimingModel::kv_usage() const {
  if (profile_.kv_cache_tokens <= 0) return 0;
  return static_cast<double>(kv_used_) / static_cast<double>(profile_.kv_cache_tokens);
}

}  // namespace sluice::engine
