#include "sluice/store/usage_writer.h"

#include <gtest/gtest.h>

#include <thread>

namespace sluice::store {
namespace {

using namespace std::chrono_literals;

struct FlakySink {
  std::mutex mu;
  bool up = true;
  std::vector<std::string> written;
  Result<void> write(std::span<const UsageRecord> rows) {
    std::lock_guard lock(mu);
    if (!up) return std::unexpected(StoreError{"down", true});
    for (const auto& r : rows) written.push_back(r.request_id);
    return {};
  }
  std::size_t count() {
    std::lock_guard lock(mu);
    return written.size();
  }
};

UsageRecord row(int i) { return UsageRecord{.at = i, .request_id = "r" + std::to_string(i), .tenant_id = "t"}; }

TEST(UsageWriter, StopWritesEverythingQueued) {
  FlakySink sink;
  UsageWriter w([&](auto rows) { return sink.write(rows); }, 10s, 1000);  // never commits on its own in time
  w.start();
  for (int i = 0; i < 100; ++i) w.record(row(i));
  w.stop();
  EXPECT_EQ(sink.count(), 100u);
  EXPECT_EQ(w.written(), 100u);
  EXPECT_EQ(sink.written.front(), "r0");  // in order
  EXPECT_EQ(sink.written.back(), "r99");
}

TEST(UsageWriter, BuffersWhileTheSinkIsDownDropsBeyondCapacityAndCatchesUp) {
  FlakySink sink;
  sink.up = false;
  UsageWriter w([&](auto rows) { return sink.write(rows); }, 5ms, 50);
  w.start();
  for (int i = 0; i < 60; ++i) w.record(row(i));
  ASSERT_TRUE([&] {
    for (int i = 0; i < 200 && w.failed_commits() == 0; ++i) std::this_thread::sleep_for(5ms);
    return w.failed_commits() > 0;
  }());
  EXPECT_FALSE(w.healthy());
  EXPECT_EQ(w.dropped(), 10u);
  EXPECT_EQ(w.buffered(), 50u);
  {
    std::lock_guard lock(sink.mu);
    sink.up = true;
  }
  for (int i = 0; i < 400 && sink.count() < 50; ++i) std::this_thread::sleep_for(5ms);
  EXPECT_EQ(sink.count(), 50u);
  EXPECT_TRUE(w.healthy());
  EXPECT_EQ(w.buffered(), 0u);
  w.stop();
  std::string metrics;
  w.render_metrics(metrics);
  EXPECT_NE(metrics.find("sluice_usage_rows_dropped_total 10"), std::string::npos) << metrics;
}

}  // namespace
}  // namespace sluice::store
