#pragma once
/// The watch over one try in flight (pure): every tick while a try waits on
/// its engine, whether to give the try up at once rather than at its time
/// limit, because its instance is known to be dead or stuck.
///
///   - gone: the instance left the rotation (its process exited, the fleet
///     failed it), fails its active health checks, or is ejected. Its tries
///     move to another instance now: waiting for an answer that cannot come
///     only delays the client.
///   - stalled (streamed tries only): the try had no event for its limit,
///     no try of the whole instance had an event for that limit, and another
///     instance of the same model had one within `stall`. One instance
///     going silent while its siblings go on is a frozen or hung engine (a
///     stopped process, a GPU hang, a black-holed connection); a stream
///     merely preempted inside the engine stalls alone, the others of its
///     instance go on. The caller ejects the instance (Outcome::kStalled)
///     and continues or retries the try elsewhere.
///
/// The limit adapts so that slow engines are not mistaken for stuck ones:
/// it is the largest of `stall`, 8 × the instance's usual gap between
/// events, and — for a try still waiting for its first event — `stall` plus
/// the prompt's prefill allowance (a long prompt takes a while to read).
/// A non-streamed try sends nothing until it ends, so it cannot be judged
/// by its own silence: it makes its instance a suspect once both have been
/// silent for the limit while siblings go on. The caller then sends the
/// instance a canary (a one-token completion, at most one a second), and a
/// canary left unanswered marks the instance stalled for every try older
/// than it. A hung engine whose /health still answers is found that way.
#include <algorithm>
#include <cstdint>

namespace sluice::health {

struct TryWatchInput {
  std::int64_t now_ns = 0;
  bool instance_available = true;   // in the rotation (not exited, not failed by the fleet)
  bool instance_check_healthy = true;
  bool instance_ejected = false;
  bool stream = false;                      // the try is streamed
  bool stream_started = false;              // it has had its first event
  std::int64_t try_last_event_ns = 0;       // its last event, or its start
  std::int64_t instance_last_event_ns = 0;  // the last event of any try of the instance (0: none yet)
  std::int64_t instance_event_gap_ns = 0;   // the instance's usual gap between events (0: unknown)
  std::int64_t siblings_last_event_ns = 0;  // the latest of the model's other instances (0: none)
  std::int64_t stall_ns = 0;                // 0 = stall detection off
  std::int64_t prefill_allowance_ns = 0;    // for the prompt, before the first event
  std::int64_t try_started_ns = 0;          // when this try was sent
  std::int64_t canary_lost_ns = 0;          // when a canary to the instance went unanswered (0: never)
};

enum class TryVerdict : std::uint8_t { kWait, kInstanceGone, kStalled };

/// How long the try and its instance must be silent to be stalled.
constexpr std::int64_t stall_limit(const TryWatchInput& in) {
  const std::int64_t first = in.stream_started ? 0 : in.stall_ns + in.prefill_allowance_ns;
  return std::max({in.stall_ns, 8 * in.instance_event_gap_ns, first});
}

/// The try and its instance have been silent for the limit while a sibling
/// went on.
constexpr bool silent_among_busy_siblings(const TryWatchInput& in) {
  if (in.stall_ns <= 0 || in.siblings_last_event_ns <= 0) return false;
  const std::int64_t limit = stall_limit(in);
  const bool try_silent = in.now_ns - in.try_last_event_ns >= limit;
  const bool instance_silent = in.now_ns - in.instance_last_event_ns >= limit;
  const bool siblings_going = in.now_ns - in.siblings_last_event_ns < in.stall_ns;
  return try_silent && instance_silent && siblings_going;
}

constexpr TryVerdict judge_try(const TryWatchInput& in) {
  if (!in.instance_available || !in.instance_check_healthy || in.instance_ejected) return TryVerdict::kInstanceGone;
  if (in.stall_ns <= 0) return TryVerdict::kWait;
  if (in.canary_lost_ns > in.try_started_ns && in.try_started_ns > 0) return TryVerdict::kStalled;
  return in.stream && silent_among_busy_siblings(in) ? TryVerdict::kStalled : TryVerdict::kWait;
}

/// Whether to send the instance a canary now: a non-streamed try silent
/// among busy siblings (it cannot be judged by a rhythm of its own).
constexpr bool wants_canary(const TryWatchInput& in) { return !in.stream && silent_among_busy_siblings(in); }

}  // namespace sluice::health
