#pragma once
/// The steady load a drill keeps on the gateway while it fails something:
/// a fixed rate of chat completions, a share of them streamed (spread
/// evenly, not drawn, so two drills send the same mix), each asking for
/// exactly max_tokens tokens with ignore_eos. Pure: the plan and its checks.
#include <cstdint>
#include <string>

#include "sluice/loadgen/load_runner.h"

namespace sluice::drill {

struct LoadPlan {
  loadgen::GatewayTarget target;
  std::string model;
  std::string api_key;
  double rate = 20;              // requests per second
  double stream_share = 0.5;     // 0..1
  std::int64_t max_tokens = 32;  // every answer's exact length
  std::int64_t input_tokens = 64;
  /// A request not answered completely within this fails (a hung instance
  /// whose requests are never moved elsewhere).
  double request_timeout_s = 30;
  /// Requests due while this many are unanswered are not sent (counted).
  std::int64_t max_in_flight = 1000;
};

/// Whether request number `k` (from 0) is streamed: request k streams when
/// floor((k+1)·share) > floor(k·share), so any window of n requests holds
/// n·share streams, give or take one.
bool is_streamed(std::uint64_t k, double stream_share);

/// "" when the plan is usable, else what is wrong ("--rate must be in (0, 1000]").
std::string check_load_plan(const LoadPlan& plan);

}  // namespace sluice::drill
