#include "sluice/core/duration_text.h"

#include <gtest/gtest.h>

namespace sluice::core {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(CoreDurationText, ParsesUnits) {
  EXPECT_EQ(parse_duration("250ms"), milliseconds(250));
  EXPECT_EQ(parse_duration("1.5s"), milliseconds(1500));
  EXPECT_EQ(parse_duration("30"), seconds(30));
  EXPECT_EQ(parse_duration("5m"), seconds(300));
  EXPECT_EQ(parse_duration("1h"), seconds(3600));
  EXPECT_EQ(parse_duration("100us"), std::chrono::microseconds(100));
  EXPECT_EQ(parse_duration("0"), Duration::zero());
}

TEST(CoreDurationText, NanInfAndHugeAreNotDurations) {
  // Each converted a double out of range to integer nanoseconds (UB).
  for (const char* text : {"nan", "nans", "NaN", "inf", "infs", "infinity", "-inf", "1e300h", "1e300", "1e19",
                           "9999999999999999999999ms", "366d", "8761h"}) {
    EXPECT_FALSE(parse_duration(text)) << text;
  }
  EXPECT_TRUE(parse_duration("8760h"));  // one year, the longest
  EXPECT_EQ(parse_duration("8760h"), seconds(static_cast<long long>(kMaxDurationSeconds)));
}

TEST(CoreDurationText, RefusesWhatIsNotADuration) {
  for (const char* text : {"", "-1s", "s", "5 s", "5x", "+5s", "1e"}) EXPECT_FALSE(parse_duration(text)) << text;
}

}  // namespace
}  // namespace sluice::core
