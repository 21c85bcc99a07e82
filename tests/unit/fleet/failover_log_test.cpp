// The failover log: a failure opens a record, the model's next promotion is
// its replacement, the replacement's first success is the recovery, and the
// model settling afterwards is the restoration.
#include "sluice/fleet/failover_log.h"

#include <gtest/gtest.h>

namespace sluice::fleet {
namespace {

using namespace std::chrono_literals;
const core::TimePoint t0{};

TEST(FleetFailoverLog, RecordsDetectionReplacementRecoveryAndRestoration) {
  FailoverLog log;
  log.settled("m", t0);  // nothing open: nothing to restore
  const auto seq = log.failed("m", "m/0", "process_exit", "a", t0 + 1s, t0 + 900ms);
  EXPECT_TRUE(log.open("m"));
  log.served("m/1", t0 + 1100ms);  // not a replacement yet
  log.replaced("m", "m/1", "hot", t0 + 1010ms);
  EXPECT_TRUE(log.awaiting_first_success("m/1"));
  log.settled("m", t0 + 1200ms);   // not recovered yet: not restored either
  log.served("m/1", t0 + 1300ms);
  log.served("m/1", t0 + 1400ms);  // only the first counts
  EXPECT_FALSE(log.open("m"));
  log.settled("m", t0 + 5s);
  ASSERT_EQ(log.records().size(), 1u);
  const Failover& f = log.records().front();
  EXPECT_EQ(f.seq, seq);
  EXPECT_EQ(f.cause, "process_exit");
  EXPECT_EQ(f.onset, t0 + 900ms);
  EXPECT_EQ(f.detected, t0 + 1s);
  EXPECT_EQ(f.replacement, "m/1");
  EXPECT_EQ(f.promoted_from, "hot");
  EXPECT_EQ(f.recovered, t0 + 1300ms);
  EXPECT_EQ(f.restored, t0 + 5s);
  EXPECT_EQ(log.last_recovered("m"), &f);
  EXPECT_EQ(log.last_recovered("other"), nullptr);
}

TEST(FleetFailoverLog, ReplacementsGoToTheOldestOpenFailureOfTheModel) {
  FailoverLog log;
  log.failed("m", "m/0", "node_down", "a", t0);
  log.failed("n", "n/0", "node_down", "a", t0);
  log.failed("m", "m/1", "node_down", "a", t0);
  log.replaced("m", "m/2", "warm", t0 + 1s);
  log.replaced("m", "m/3", "new", t0 + 2s);
  EXPECT_EQ(log.records()[0].replacement, "m/2");
  EXPECT_EQ(log.records()[1].replacement, "");
  EXPECT_EQ(log.records()[2].replacement, "m/3");
  EXPECT_EQ(log.records()[2].promoted_from, "new");
}

TEST(FleetFailoverLog, KeepsTheNewestRecords) {
  FailoverLog log(2);
  for (int i = 0; i < 5; ++i) log.failed("m", "m/" + std::to_string(i), "unhealthy", "a", t0);
  ASSERT_EQ(log.records().size(), 2u);
  EXPECT_EQ(log.records().front().instance, "m/3");
  EXPECT_EQ(log.records().back().seq, 5u);
}

}  // namespace
}  // namespace sluice::fleet
