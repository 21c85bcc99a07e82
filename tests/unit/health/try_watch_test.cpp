// judge_try: a try is given up when its instance is gone, or when a streamed
// try and its whole instance went silent while a sibling went on.
#include "sluice/health/try_watch.h"

#include <gtest/gtest.h>

namespace sluice::health {
namespace {

constexpr std::int64_t kMs = 1'000'000;

/// A started stream whose last event was at `try_ms`, on an instance whose
/// last was at `instance_ms`, with siblings' last at `siblings_ms`.
TryWatchInput streaming(std::int64_t now_ms, std::int64_t try_ms, std::int64_t instance_ms, std::int64_t siblings_ms) {
  return {.now_ns = now_ms * kMs, .stream = true, .stream_started = true, .try_last_event_ns = try_ms * kMs,
          .instance_last_event_ns = instance_ms * kMs, .siblings_last_event_ns = siblings_ms * kMs,
          .stall_ns = 500 * kMs};
}

TEST(HealthTryWatch, AGoneInstanceGivesUpEveryTry) {
  TryWatchInput in{.now_ns = 1};
  EXPECT_EQ(judge_try(in), TryVerdict::kWait);
  in.instance_available = false;
  EXPECT_EQ(judge_try(in), TryVerdict::kInstanceGone);
  in = {.now_ns = 1, .instance_check_healthy = false};
  EXPECT_EQ(judge_try(in), TryVerdict::kInstanceGone);
  in = {.now_ns = 1, .instance_ejected = true};
  EXPECT_EQ(judge_try(in), TryVerdict::kInstanceGone);
}

TEST(HealthTryWatch, SilentInstanceWhileASiblingGoesOnIsStalled) {
  EXPECT_EQ(judge_try(streaming(10'000, 9'500, 9'500, 9'990)), TryVerdict::kStalled);  // silent exactly 500 ms
  EXPECT_EQ(judge_try(streaming(10'000, 9'501, 9'501, 9'990)), TryVerdict::kWait);     // 499 ms
}

TEST(HealthTryWatch, AStreamPreemptedAloneIsNotStalled) {
  // Another stream of the same instance had an event 10 ms ago.
  EXPECT_EQ(judge_try(streaming(10'000, 8'000, 9'990, 9'990)), TryVerdict::kWait);
}

TEST(HealthTryWatch, EverybodySilentIsNotOneInstancesFault) {
  // The siblings are silent too (the gateway itself was paused, or the
  // whole model is slow): nothing to compare with.
  EXPECT_EQ(judge_try(streaming(10'000, 9'000, 9'000, 9'500)), TryVerdict::kWait);
  EXPECT_EQ(judge_try(streaming(10'000, 9'000, 9'000, 0)), TryVerdict::kWait);  // no sibling ever had an event
}

TEST(HealthTryWatch, ASlowEngineGetsEightTimesItsUsualGap) {
  auto in = streaming(10'000, 9'000, 9'000, 9'990);
  in.instance_event_gap_ns = 200 * kMs;  // a big model on small GPUs: 5 tokens/s
  EXPECT_EQ(stall_limit(in), 1'600 * kMs);
  EXPECT_EQ(judge_try(in), TryVerdict::kWait);  // silent 1 s: not yet
  in.now_ns = 10'600 * kMs;
  EXPECT_EQ(judge_try(in), TryVerdict::kWait);  // the siblings were last seen 610 ms ago
  in.siblings_last_event_ns = 10'590 * kMs;
  EXPECT_EQ(judge_try(in), TryVerdict::kStalled);
}

TEST(HealthTryWatch, AStreamWaitingForItsFirstEventGetsThePrefillAllowance) {
  auto in = streaming(10'000, 9'000, 0, 9'990);  // sent 1 s ago to an instance that never had an event
  in.stream_started = false;
  in.prefill_allowance_ns = 2'000 * kMs;  // a long prompt
  EXPECT_EQ(stall_limit(in), 2'500 * kMs);
  EXPECT_EQ(judge_try(in), TryVerdict::kWait);
  in.prefill_allowance_ns = 100 * kMs;
  EXPECT_EQ(judge_try(in), TryVerdict::kStalled);  // 1 s > 600 ms
}

TEST(HealthTryWatch, ANonStreamedTryIsJudgedByACanary) {
  auto in = streaming(100'000, 1'000, 1'000, 99'990);
  in.stream = false;
  in.stream_started = false;
  in.try_started_ns = 1'000 * kMs;
  // Silent among busy siblings: not stalled by itself, but a suspect.
  EXPECT_EQ(judge_try(in), TryVerdict::kWait);
  EXPECT_TRUE(wants_canary(in));
  // The canary came back unanswered after the try was sent: stalled.
  in.canary_lost_ns = 99'000 * kMs;
  EXPECT_EQ(judge_try(in), TryVerdict::kStalled);
  // One lost before the try was sent says nothing about it.
  in.canary_lost_ns = 500 * kMs;
  EXPECT_EQ(judge_try(in), TryVerdict::kWait);
  // No suspicion while the instance answers or the siblings are quiet.
  in.instance_last_event_ns = 99'800 * kMs;
  EXPECT_FALSE(wants_canary(in));
  in.instance_last_event_ns = 1'000 * kMs;
  in.siblings_last_event_ns = 90'000 * kMs;
  EXPECT_FALSE(wants_canary(in));
  // Streams never need one: their own silence judges them.
  EXPECT_FALSE(wants_canary(streaming(100'000, 1'000, 1'000, 99'990)));
}

TEST(HealthTryWatch, ZeroStallTurnsDetectionOff) {
  auto in = streaming(10'000, 1'000, 1'000, 9'990);
  in.stall_ns = 0;
  EXPECT_EQ(judge_try(in), TryVerdict::kWait);
}

}  // namespace
}  // namespace sluice::health
