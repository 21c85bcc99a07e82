// An instance that gives no response at all (connection refused) costs the
// client nothing: the request moves to another instance before any byte of
// the response was sent, streamed or not.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "harness.h"

namespace sluice::itest {
namespace {

/// A loopback port nobody listens on (bound, read, closed).
std::uint16_t closed_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    ::close(fd);
    return 0;
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

TEST(RetryTest, ARefusedInstanceCostsNoFailedRequest) {
  // A gateway whose only job is to run one engine-sim for the one under test.
  Gateway engines(make_config("", "  - name: small\n    source: sim\n    sim: {instances: 1, profile: instant}\n"));
  ASSERT_TRUE(engines.start()) << engines.error();
  const auto live = engines.instances("small");
  ASSERT_EQ(live.size(), 1u);
  const std::uint16_t dead = closed_port();
  ASSERT_NE(dead, 0);

  Gateway gateway(make_config("", "  - name: small\n    source: static\n    static:\n      endpoints: [http://127.0.0.1:" +
                                      std::to_string(live[0].port) + ", http://127.0.0.1:" + std::to_string(dead) +
                                      "]\n"
                                      // Retries alone: no checks or ejection keep the dead endpoint out.
                                      "    health_check: {enabled: false}\n"
                                      "    outlier_detection: {enabled: false}\n"));
  ASSERT_TRUE(gateway.start()) << gateway.error();

  for (int i = 0; i < 40; ++i) {
    const Response r = post_json(gateway.api_port(), "/v1/chat/completions", chat_body("small", "tick", 5), kAcmeKey);
    ASSERT_EQ(r.status, 200) << "request " << i << ": " << r.error << " " << r.body;
  }
  for (int i = 0; i < 10; ++i) {
    SseStream s(gateway.api_port(), "/v1/chat/completions", chat_body("small", "tick", 5, true), kAcmeKey, 3000ms);
    ASSERT_EQ(s.head().status, 200) << "stream " << i << ": " << s.head().error;
    const auto events = s.read_all(3000ms);
    ASSERT_FALSE(events.empty());
    EXPECT_TRUE(events.back().is_done());
  }
  // About half the picks met the dead endpoint (two choices, both idle).
  const auto retries = metric_value(gateway.metrics(), "sluice_upstream_retries_total").value_or(0);
  EXPECT_GE(retries, 5) << "the dead endpoint was hardly picked: the test shows nothing";
  EXPECT_LE(retries, 50);
}

}  // namespace
}  // namespace sluice::itest
