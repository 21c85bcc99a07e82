#include "sluice/drill/answer_check.h"

#include <gtest/gtest.h>

namespace sluice::drill {
namespace {

TEST(DrillAnswerCheck, SyntheticTextCountsWordsElseUsage) {
  EXPECT_EQ(answer_tokens(" lorem sim token", 99), 3) << "engine-sim words win over usage";
  EXPECT_EQ(answer_tokens("Hello, world! How are you?", 7), 7) << "real text: usage";
  EXPECT_EQ(answer_tokens("Hello, world!", std::nullopt), 2) << "no usage: words";
  EXPECT_EQ(answer_tokens("", 5), 5);
  EXPECT_EQ(answer_tokens(" lorem  sim", 9), 9) << "double spaces are not synthetic";
}

TEST(DrillAnswerCheck, LostAndDuplicatedTokens) {
  LoadCounters c;
  count_whole_answer(c, 32, 32);
  count_whole_answer(c, 30, 32);
  count_whole_answer(c, 35, 32);
  EXPECT_EQ(c.answers_checked, 3);
  EXPECT_EQ(c.tokens_lost, 2);
  EXPECT_EQ(c.tokens_duplicated, 3);
}

TEST(DrillAnswerCheck, FailuresByKindAndReason) {
  LoadCounters c;
  count_failure(c, false, "status 503");
  count_failure(c, false, "status 503");
  count_failure(c, true, "stream cut before [DONE]");
  EXPECT_EQ(c.requests_failed, 2);
  EXPECT_EQ(c.streams_broken, 1);
  EXPECT_EQ(c.failure_reasons.at("request: status 503"), 2);
  EXPECT_EQ(c.failure_reasons.at("stream: stream cut before [DONE]"), 1);
}

TEST(DrillAnswerCheck, StreamReadingCollectsTextUsageAndDone) {
  StreamReading r;
  r.on_event(R"({"choices":[{"index":0,"delta":{"role":"assistant","content":" lorem"},"finish_reason":null}]})");
  r.on_event(R"({"choices":[{"index":0,"delta":{"content":" sim"},"finish_reason":null}]})");
  r.on_event(R"({"choices":[{"index":0,"delta":{},"finish_reason":"length"}]})");
  r.on_event(R"({"choices":[],"usage":{"prompt_tokens":9,"completion_tokens":2,"total_tokens":11}})");
  EXPECT_FALSE(r.done());
  r.on_event("[DONE]");
  EXPECT_TRUE(r.done());
  EXPECT_FALSE(r.errored());
  EXPECT_EQ(r.text(), " lorem sim");
  EXPECT_EQ(r.usage_completion_tokens(), 2);
}

TEST(DrillAnswerCheck, StreamReadingSeesErrorEvents) {
  StreamReading r;
  r.on_event(R"({"choices":[{"index":0,"delta":{"content":" lorem"}}]})");
  r.on_event(R"({"error":{"message":"upstream broke","type":"server_error","param":null,"code":"upstream_error"}})");
  r.on_event("[DONE]");
  EXPECT_TRUE(r.errored());
  EXPECT_EQ(r.error_code(), "upstream_error");
  r.on_event("not json");  // ignored
  EXPECT_EQ(r.text(), " lorem");
}

TEST(DrillAnswerCheck, ParsesWholeChatCompletions) {
  const auto answer = parse_chat_completion(
      R"({"id":"x","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":" a b"},)"
      R"("finish_reason":"length"}],"usage":{"prompt_tokens":3,"completion_tokens":2,"total_tokens":5}})");
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->text, " a b");
  EXPECT_EQ(answer->completion_tokens, 2);
  EXPECT_FALSE(parse_chat_completion(R"({"error":{"message":"x"}})"));
  EXPECT_FALSE(parse_chat_completion("garbage"));
}

}  // namespace
}  // namespace sluice::drill
