#include "sluice/drill/load_plan.h"

#include <gtest/gtest.h>

namespace sluice::drill {
namespace {

int streamed_in(std::uint64_t from, std::uint64_t count, double share) {
  int n = 0;
  for (std::uint64_t k = from; k < from + count; ++k) n += is_streamed(k, share) ? 1 : 0;
  return n;
}

TEST(DrillLoadPlan, StreamsAreSpreadEvenly) {
  EXPECT_EQ(streamed_in(0, 100, 0.5), 50);
  EXPECT_EQ(streamed_in(0, 100, 0.0), 0);
  EXPECT_EQ(streamed_in(0, 100, 1.0), 100);
  EXPECT_EQ(streamed_in(0, 100, 0.3), 30);
  for (std::uint64_t from = 0; from < 50; ++from) {
    const int n = streamed_in(from, 10, 0.3);
    EXPECT_GE(n, 2) << from;
    EXPECT_LE(n, 4) << from;
  }
  // Half and half alternates, so even a short warm-up sends both kinds.
  EXPECT_NE(is_streamed(0, 0.5), is_streamed(1, 0.5));
}

TEST(DrillLoadPlan, ChecksNameTheOption) {
  LoadPlan ok;
  ok.model = "m";
  EXPECT_EQ(check_load_plan(ok), "");
  LoadPlan p = ok;
  p.rate = 0;
  EXPECT_EQ(check_load_plan(p), "--rate must be in (0, 1000] requests per second");
  p = ok;
  p.rate = 5000;
  EXPECT_NE(check_load_plan(p), "");
  p = ok;
  p.stream_share = 1.5;
  EXPECT_EQ(check_load_plan(p), "--stream-share must be in [0, 1]");
  p = ok;
  p.max_tokens = 0;
  EXPECT_EQ(check_load_plan(p), "--max-tokens must be at least 1");
  p = ok;
  p.request_timeout_s = 0;
  EXPECT_EQ(check_load_plan(p), "--request-timeout must be positive");
}

}  // namespace
}  // namespace sluice::drill
