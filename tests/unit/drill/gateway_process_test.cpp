#include "sluice/drill/gateway_process.h"

#include <gtest/gtest.h>

namespace sluice::drill {
namespace {

TEST(DrillGatewayProcess, FindsTheListeningLine) {
  const std::string log =
      "2025-01-01T00:00:00.000 info starting\n"
      "2025-01-01T00:00:00.100 info listening: api 127.0.0.1:41234 admin 127.0.0.1:41235\n";
  const auto found = find_listening_line(log);
  ASSERT_TRUE(found);
  EXPECT_EQ(found->api.host, "127.0.0.1");
  EXPECT_EQ(found->api.port, 41234);
  EXPECT_EQ(found->admin.port, 41235);
  const auto v6 = find_listening_line("listening: api [::1]:80 admin ::1:81\n");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->api.host, "::1");
  EXPECT_EQ(v6->admin.host, "::1");
  EXPECT_EQ(v6->admin.port, 81);
  EXPECT_FALSE(find_listening_line("info starting\nlistening: api 127.0.0.1:4"));  // cut mid-line: no admin yet
  EXPECT_FALSE(find_listening_line("listening: api 127.0.0.1:99999 admin 127.0.0.1:1\n"));
}

}  // namespace
}  // namespace sluice::drill
