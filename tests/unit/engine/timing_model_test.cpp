#include "sluice/engine/timing_model.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

namespace sluice::engine {
namespace {

using std::chrono::milliseconds;

/// Round numbers so every expected time is exact: step = 10 ms + 1 ms × B
/// + prefill / 1000 tok/s (1 ms per token) + 2 µs per context token.
EngineProfile test_profile() {
  EngineProfile p;
  p.name = "test";
  p.model_name = "test-model";
  p.prefill_tokens_per_s = 1000;
  p.decode_base_ms = 10;
  p.decode_per_seq_ms = 1;
  p.kv_read_us_per_token = 0;
  p.max_num_seqs = 4;
  p.max_num_batched_tokens = 100;
  p.kv_cache_tokens = 1000;
  p.max_model_len = 900;
  p.block_tokens = 16;
  p.prefix_cache_blocks = 1000;
  p.output_length = {OutputLengthKind::kFixed, 7, 1, 100};
  return p;
}

SequenceSpec spec(SequenceId id, std::int64_t prompt, std::optional<std::int64_t> max_tokens) {
  SequenceSpec s;
  s.id = id;
  s.prompt_tokens = prompt;
  s.max_tokens = max_tokens;
  return s;
}

struct Harness {
  explicit Harness(EngineProfile p = test_profile(), std::uint64_t seed = 1) : model(std::move(p), seed) {}
  /// Runs one step; returns its events and advances `now` by its duration.
  std::vector<StepEvent> step() {
    std::vector<StepEvent> events;
    const auto d = model.begin_step(now);
    EXPECT_TRUE(d.has_value());
    if (!d) return events;
    last = *d;
    now += *d;
    model.finish_step(now, events);
    return events;
  }
  core::TimePoint now{};
  core::Duration last{};
  TimingModel model;
};

TEST(EngineTimingModel, StepTimeFormula) {
  auto p = test_profile();
  p.kv_read_us_per_token = 2;
  const TimingModel model(p, 0);
  // 10 + 1×3 + 500/1000 s + 2 µs × 1000 = 10 + 3 + 500 + 2 ms.
  EXPECT_EQ(model.step_time(3, 500, 1000), milliseconds(515));
  EXPECT_EQ(model.step_time(0, 0, 0), milliseconds(10));
}

TEST(EngineTimingModel, DecodeStepGrowsWithBatch) {
  Harness one;
  ASSERT_TRUE(one.model.submit(spec(1, 10, 5), one.now));
  one.step();  // prefill 10 tokens: 10 + 1 + 10 ms
  EXPECT_EQ(one.last, milliseconds(21));
  one.step();  // decode, B = 1
  EXPECT_EQ(one.last, milliseconds(11));

  Harness three;
  for (SequenceId id = 1; id <= 3; ++id) ASSERT_TRUE(three.model.submit(spec(id, 10, 5), three.now));
  three.step();  // 30 prefill tokens, B = 3
  EXPECT_EQ(three.last, milliseconds(43));
  three.step();
  EXPECT_EQ(three.last, milliseconds(13));
}

TEST(EngineTimingModel, KvReadCostCountsContextOfScheduledSequences) {
  auto p = test_profile();
  p.kv_read_us_per_token = 1000;  // 1 ms per context token, to see it
  Harness h(p);
  ASSERT_TRUE(h.model.submit(spec(1, 10, 5), h.now));
  h.step();  // context before the prefill step: 0
  EXPECT_EQ(h.last, milliseconds(21));
  h.step();  // context: 10 prompt + 1 generated
  EXPECT_EQ(h.last, milliseconds(10 + 1 + 11));
}

TEST(EngineTimingModel, BatchLimitMaxNumSeqs) {
  Harness h;
  for (SequenceId id = 1; id <= 6; ++id) ASSERT_TRUE(h.model.submit(spec(id, 10, 3), h.now));
  EXPECT_EQ(h.model.num_waiting(), 6);
  const auto events = h.step();
  EXPECT_EQ(h.model.num_running(), 4);
  EXPECT_EQ(h.model.num_waiting(), 2);
  EXPECT_EQ(events.size(), 4U);
}

TEST(EngineTimingModel, ChunkedPrefillAndFirstTokenTime) {
  Harness h;
  ASSERT_TRUE(h.model.submit(spec(1, 250, 2), h.now));
  EXPECT_TRUE(h.step().empty());  // 100 tokens: 10 + 1 + 100 ms
  EXPECT_EQ(h.last, milliseconds(111));
  EXPECT_TRUE(h.step().empty());  // 100 tokens
  const auto events = h.step();   // last 50 tokens: 10 + 1 + 50 ms
  EXPECT_EQ(h.last, milliseconds(61));
  ASSERT_EQ(events.size(), 1U);
  EXPECT_EQ(events[0].token_index, 0);
  EXPECT_FALSE(events[0].finished);
  EXPECT_EQ(h.now, core::TimePoint{} + milliseconds(283));
  EXPECT_EQ(h.model.ttft_seconds().count(), 1U);
  EXPECT_NEAR(h.model.ttft_seconds().sum(), 0.283, 1e-6);
  const auto last = h.step();
  ASSERT_EQ(last.size(), 1U);
  EXPECT_EQ(last[0].token_index, 1);
  EXPECT_TRUE(last[0].finished);
  EXPECT_EQ(last[0].finish_reason, FinishReason::kLength);
  EXPECT_EQ(h.model.counters().prompt_tokens, 250);
  EXPECT_EQ(h.model.counters().generation_tokens, 2);
  EXPECT_FALSE(h.model.has_work(h.now));
}

TEST(EngineTimingModel, PrefillShareOfBudgetGoesToWaitingAfterDecodes) {
  Harness h;
  ASSERT_TRUE(h.model.submit(spec(1, 10, 10), h.now));
  h.step();
  ASSERT_TRUE(h.model.submit(spec(2, 500, 2), h.now));
  h.step();  // 1 decode + 99 prefill tokens of request 2
  EXPECT_EQ(h.last, milliseconds(10 + 2 + 99));
}

TEST(EngineTimingModel, KvAdmissionWaitsUntilItFits) {
  Harness h;
  ASSERT_TRUE(h.model.submit(spec(1, 100, 600), h.now));  // reserves 700 of 1000
  ASSERT_TRUE(h.model.submit(spec(2, 50, 350), h.now));   // 400: does not fit beside 1
  ASSERT_TRUE(h.model.submit(spec(3, 10, 10), h.now));    // fits, but FIFO keeps it behind 2
  h.step();
  EXPECT_EQ(h.model.num_running(), 1);
  EXPECT_EQ(h.model.num_waiting(), 2);
  EXPECT_EQ(h.model.kv_used_tokens(), 700);
  EXPECT_DOUBLE_EQ(h.model.kv_usage(), 0.7);
  bool finished = false;
  while (!finished) {
    for (const auto& e : h.step()) finished = finished || (e.id == 1 && e.finished);
    if (!finished) {
      EXPECT_EQ(h.model.num_waiting(), 2);
    }
  }
  EXPECT_EQ(h.model.kv_used_tokens(), 0);
  h.step();
  EXPECT_EQ(h.model.num_running(), 2);
  EXPECT_EQ(h.model.kv_used_tokens(), 420);
}

TEST(EngineTimingModel, RejectsWhatCanNeverRun) {
  Harness h;
  EXPECT_EQ(h.model.submit(spec(1, 0, 5), h.now).error(), SubmitError::kInvalidPromptTokens);
  EXPECT_EQ(h.model.submit(spec(2, 10, 0), h.now).error(), SubmitError::kInvalidMaxTokens);
  EXPECT_EQ(h.model.submit(spec(3, 800, 200), h.now).error(), SubmitError::kTooLong);
  auto p = test_profile();
  p.max_model_len = 5000;
  Harness big(p);
  EXPECT_EQ(big.model.submit(spec(4, 800, 300), big.now).error(), SubmitError::kExceedsKvCapacity);
  ASSERT_TRUE(h.model.submit(spec(5, 10, 5), h.now));
  EXPECT_EQ(h.model.submit(spec(5, 10, 5), h.now).error(), SubmitError::kDuplicateId);
}

TEST(EngineTimingModel, OutputLengthIsMaxTokensOrSeededDraw) {
  Harness h;
  auto a = h.model.submit(spec(1, 10, 3), h.now);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->output_tokens, 3);
  EXPECT_EQ(a->finish_reason, FinishReason::kLength);
  auto b = h.model.submit(spec(2, 10, std::nullopt), h.now);
  ASSERT_TRUE(b);
  EXPECT_EQ(b->output_tokens, 7);  // fixed distribution, mean 7
  EXPECT_EQ(b->finish_reason, FinishReason::kStop);
  std::int64_t tokens_1 = 0;
  std::int64_t tokens_2 = 0;
  while (h.model.has_work(h.now)) {
    for (const auto& e : h.step()) ++(e.id == 1 ? tokens_1 : tokens_2);
  }
  EXPECT_EQ(tokens_1, 3);
  EXPECT_EQ(tokens_2, 7);
  EXPECT_EQ(h.model.counters().success_length, 1);
  EXPECT_EQ(h.model.counters().success_stop, 1);
}

TEST(EngineTimingModel, DrawnLengthsAreReproducibleAndFollowTheDistribution) {
  const OutputLengthDistribution exp{OutputLengthKind::kExponential, 200, 1, 100000};
  double sum = 0;
  constexpr int kDraws = 20000;
  for (SequenceId id = 0; id < kDraws; ++id) {
    const auto n = draw_output_length(exp, 42, id);
    EXPECT_EQ(n, draw_output_length(exp, 42, id));
    EXPECT_GE(n, 1);
    sum += static_cast<double>(n);
  }
  EXPECT_NEAR(sum / kDraws, 200.5, 6.0);  // ceil adds ~0.5
  bool differs = false;
  for (SequenceId id = 0; id < 20; ++id) differs = differs || draw_output_length(exp, 42, id) != draw_output_length(exp, 43, id);
  EXPECT_TRUE(differs);
  const OutputLengthDistribution uni{OutputLengthKind::kUniform, 0, 5, 8};
  for (SequenceId id = 0; id < 200; ++id) {
    const auto n = draw_output_length(uni, 1, id);
    EXPECT_GE(n, 5);
    EXPECT_LE(n, 8);
  }
  EXPECT_EQ(draw_output_length({OutputLengthKind::kFixed, 33, 1, 20}, 1, 1), 20);  // clamped to max
}

TEST(EngineTimingModel, PrefixCacheHitsWithinSaltNeverAcross) {
  Harness h;
  const std::string text(640, 'x');  // 10 blocks of 64 bytes
  auto make = [&](SequenceId id, std::string salt) {
    SequenceSpec s = spec(id, 160, 1);
    s.prefix_text = text;
    s.cache_salt = std::move(salt);
    return s;
  };
  ASSERT_TRUE(h.model.submit(make(1, "tenant-a"), h.now));
  while (h.model.has_work(h.now)) h.step();
  EXPECT_EQ(h.model.counters().prefix_hits, 0);

  ASSERT_TRUE(h.model.submit(make(2, "tenant-a"), h.now));
  h.step();  // 160 - 144 cached = 16 prefill tokens
  EXPECT_EQ(h.last, milliseconds(10 + 1 + 16));
  while (h.model.has_work(h.now)) h.step();
  EXPECT_EQ(h.model.counters().prefix_hits, 144);  // capped: one token always computed

  ASSERT_TRUE(h.model.submit(make(3, "tenant-b"), h.now));
  std::int64_t cached = -1;
  while (h.model.has_work(h.now)) {
    for (const auto& e : h.step()) cached = e.cached_tokens;
  }
  EXPECT_EQ(cached, 0);
  EXPECT_EQ(h.model.counters().prefix_hits, 144);
  EXPECT_EQ(h.model.counters().prefix_queries, 480);
}

TEST(EngineTimingModel, CancelFreesKv) {
  Harness h;
  ASSERT_TRUE(h.model.submit(spec(1, 50, 50), h.now));
  ASSERT_TRUE(h.model.begin_step(h.now));
  EXPECT_EQ(h.model.kv_used_tokens(), 100);
  EXPECT_TRUE(h.model.cancel(1));
  EXPECT_EQ(h.model.kv_used_tokens(), 0);
  EXPECT_EQ(h.model.num_running(), 0);
  std::vector<StepEvent> events;
  h.model.finish_step(h.now + milliseconds(70), events);
  EXPECT_TRUE(events.empty());
  EXPECT_FALSE(h.model.cancel(1));
  EXPECT_EQ(h.model.counters().cancelled, 1);
  ASSERT_TRUE(h.model.submit(spec(2, 10, 5), h.now));
  EXPECT_TRUE(h.model.cancel(2));  // a waiting one
  EXPECT_EQ(h.model.num_waiting(), 0);
  EXPECT_FALSE(h.model.has_work(h.now));
}

TEST(EngineTimingModel, SleepAbortsAndRefusesUntilAwake) {
  auto p = test_profile();
  p.wake_s = 2;
  Harness h(p);
  ASSERT_TRUE(h.model.submit(spec(1, 10, 50), h.now));
  ASSERT_TRUE(h.model.submit(spec(2, 10, 50), h.now));
  h.step();
  std::vector<SequenceId> aborted;
  h.model.sleep(h.now, aborted);
  EXPECT_EQ(aborted.size(), 2U);
  EXPECT_EQ(h.model.state(h.now), EngineState::kAsleep);
  EXPECT_EQ(h.model.kv_used_tokens(), 0);
  EXPECT_EQ(h.model.submit(spec(3, 10, 5), h.now).error(), SubmitError::kNotReady);
  EXPECT_FALSE(h.model.begin_step(h.now));
  const auto ready = h.model.wake_up(h.now);
  EXPECT_EQ(ready, h.now + std::chrono::seconds(2));
  EXPECT_EQ(h.model.state(h.now + std::chrono::seconds(1)), EngineState::kWaking);
  EXPECT_EQ(h.model.submit(spec(4, 10, 5), h.now + std::chrono::seconds(1)).error(), SubmitError::kNotReady);
  EXPECT_EQ(h.model.state(ready), EngineState::kAwake);
  EXPECT_TRUE(h.model.submit(spec(5, 10, 5), ready));
  EXPECT_EQ(h.model.wake_up(ready), ready);  // already awake
}

TEST(EngineTimingModel, IgnoreEosRunsToTheContextLimitWithoutMaxTokens) {
  Harness h;
  SequenceSpec long_one = spec(1, 100, std::nullopt);
  long_one.ignore_eos = true;
  const auto a = h.model.submit(long_one, h.now);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->output_tokens, 900 - 100);  // max_model_len - prompt, not the drawn 7
  EXPECT_EQ(a->finish_reason, FinishReason::kLength);
  SequenceSpec exact = spec(2, 10, 4);
  exact.ignore_eos = true;
  const auto b = h.model.submit(exact, h.now);
  ASSERT_TRUE(b);
  EXPECT_EQ(b->output_tokens, 4);  // max_tokens is exact either way
}

TEST(EngineTimingModel, AbortAllFailsEverySequenceButStaysAwake) {
  Harness h;
  ASSERT_TRUE(h.model.submit(spec(1, 10, 50), h.now));
  ASSERT_TRUE(h.model.submit(spec(2, 10, 50), h.now));
  h.step();
  ASSERT_TRUE(h.model.submit(spec(3, 10, 50), h.now));
  std::vector<SequenceId> aborted;
  h.model.abort_all(h.now, aborted);
  EXPECT_EQ(aborted.size(), 3U);
  EXPECT_EQ(h.model.counters().aborted, 3);
  EXPECT_EQ(h.model.kv_used_tokens(), 0);
  EXPECT_EQ(h.model.num_running() + h.model.num_waiting(), 0);
  EXPECT_EQ(h.model.state(h.now), EngineState::kAwake);
  EXPECT_TRUE(h.model.submit(spec(4, 10, 5), h.now));
}

TEST(EngineTimingModel, ColdLoad) {
  auto p = test_profile();
  p.cold_load_s = 60;
  TimingModel model(p, 0);
  const core::TimePoint t0{};
  model.begin_cold_load(t0);
  EXPECT_EQ(model.state(t0 + std::chrono::seconds(59)), EngineState::kLoading);
  EXPECT_EQ(model.submit(spec(1, 10, 5), t0).error(), SubmitError::kNotReady);
  EXPECT_EQ(model.state(t0 + std::chrono::seconds(60)), EngineState::kAwake);
}

TEST(EngineTimingModel, InterTokenLatencyObserved) {
  Harness h;
  ASSERT_TRUE(h.model.submit(spec(1, 10, 4), h.now));
  while (h.model.has_work(h.now)) h.step();
  EXPECT_EQ(h.model.inter_token_seconds().count(), 3U);
  EXPECT_NEAR(h.model.inter_token_seconds().sum(), 3 * 0.011, 1e-6);
}

TEST(EngineTimingModel, BuiltinProfilesMatchTheRecommendedTable) {
  const auto* p = find_profile("llama-3.1-8b-h100");
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->prefill_tokens_per_s, 27000);
  EXPECT_EQ(p->kv_cache_tokens, 420000);
  ASSERT_NE(find_profile("mistral-7b-h100"), nullptr);
  ASSERT_NE(find_profile("llama-3.1-70b-4xh100"), nullptr);
  const auto* instant = find_profile("instant");
  ASSERT_NE(instant, nullptr);
  const TimingModel model(*instant, 0);
  EXPECT_EQ(model.step_time(100, 100000, 1000000), core::Duration::zero());
  EXPECT_EQ(find_profile("nope"), nullptr);
}

}  // namespace
}  // namespace sluice::engine
