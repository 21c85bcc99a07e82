// `sluice engine-sim` on its own, for what only the process shows: the
// corrupt-model load (--fail-load) fails after the cold-load time with exit
// status 3 and never prints its ready line.
#include "harness.h"

namespace sluice::itest {
namespace {

TEST(EngineSimTest, FailLoadExitsThreeAfterTheColdLoadWithoutEverBeingReady) {
  // 2 s of model time at speedup 4: the load fails after 0.5 s of wall time.
  const auto started = Clock::now();
  const auto result = run_command({sluice_binary(), "engine-sim", "--port", "0", "--profile", "instant", "--cold-load-s",
                                   "2", "--speedup", "4", "--fail-load"},
                                  10000ms);
  const auto took = std::chrono::duration_cast<Duration>(Clock::now() - started);
  ASSERT_FALSE(result.timed_out) << "it must exit on its own";
  EXPECT_EQ(result.exit_code, 3) << result.err;
  EXPECT_NE(result.err.find("sluice-engine-sim: loading failed: corrupt weights"), std::string::npos) << result.err;
  EXPECT_EQ(result.out.find("listening on"), std::string::npos) << result.out;
  EXPECT_GE(took, 500ms) << "fails only once the cold load has taken its time";
}

TEST(EngineSimTest, HelpDocumentsTheDrillFlags) {
  const auto result = run_command({sluice_binary(), "engine-sim", "--help"}, 10000ms);
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_NE(result.out.find("--fail-load"), std::string::npos);
  EXPECT_NE(result.out.find("exits with status 3"), std::string::npos);
  EXPECT_NE(result.out.find("--simulate-load"), std::string::npos);
}

}  // namespace
}  // namespace sluice::itest
