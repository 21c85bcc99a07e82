#include "sluice/proxy/sse_parser.h"

#include <gtest/gtest.h>

namespace sluice::proxy {
namespace {

TEST(ProxySseParser, SplitsEventsAcrossArbitraryChunks) {
  const std::string stream = "data: {\"a\":1}\n\ndata: {\"b\":2}\n\ndata: [DONE]\n\n";
  for (std::size_t cut = 1; cut < stream.size(); ++cut) {
    SseParser p;
    std::vector<std::string> data;
    for (const auto& e : p.feed(std::string_view(stream).substr(0, cut))) data.emplace_back(e.data);
    for (const auto& e : p.feed(std::string_view(stream).substr(cut))) data.emplace_back(e.data);
    ASSERT_EQ(data.size(), 3u) << "cut at " << cut;
    EXPECT_EQ(data[0], "{\"a\":1}");
    EXPECT_EQ(data[2], "[DONE]");
    EXPECT_EQ(p.pending(), 0u);
  }
}

TEST(ProxySseParser, RawKeepsFramingAndCrlfIsAccepted) {
  SseParser p;
  const auto& events = p.feed("event: x\r\ndata: 1\r\n\r\ndata:2\n\npartial");
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].raw, "event: x\r\ndata: 1\r\n\r\n");
  EXPECT_EQ(events[0].data, "1");
  EXPECT_EQ(events[1].data, "2");
  EXPECT_EQ(p.pending(), 7u);
}

TEST(ProxyUsage, FromBodyAndChunks) {
  auto u = extract_usage(R"({"id":"x","choices":[{"index":0}],"usage":{"prompt_tokens":12,"completion_tokens":5,"total_tokens":17}})");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->prompt_tokens, 12);
  EXPECT_EQ(u->completion_tokens, 5);
  EXPECT_FALSE(u->usage_only_chunk);

  auto only = extract_usage(R"({"id":"x","choices": [ ],"usage":{"prompt_tokens":3,"completion_tokens":4}})");
  ASSERT_TRUE(only);
  EXPECT_TRUE(only->usage_only_chunk);
  EXPECT_EQ(only->completion_tokens, 4);
}

TEST(ProxyUsage, AbsentOrNull) {
  EXPECT_FALSE(extract_usage(R"({"choices":[{"delta":{"content":"usage"}}]})"));
  EXPECT_FALSE(extract_usage(R"({"choices":[],"usage":null})"));
  EXPECT_FALSE(extract_usage("[DONE]"));
  EXPECT_FALSE(extract_usage("{\"usage\":"));
}

}  // namespace
}  // namespace sluice::proxy
