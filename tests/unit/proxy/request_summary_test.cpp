#include "sluice/proxy/request_summary.h"

#include <gtest/gtest.h>

#include "sluice/core/token_estimate.h"

namespace sluice::proxy {
namespace {

using core::ErrorCode;

TEST(ProxyRequestSummary, ChatFieldsAndEstimate) {
  const std::string body =
      R"({"model":"m1","stream":true,"max_tokens":64,"stream_options":{"include_usage":true},"user":"u7",)"
      R"("messages":[{"role":"system","content":"You are terse."},{"role":"user","content":"Hello there!"}]})";
  auto s = summarize_request(body, ApiKind::kChat);
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->model, "m1");
  EXPECT_TRUE(s->stream);
  EXPECT_TRUE(s->include_usage);
  EXPECT_TRUE(s->has_stream_options);
  EXPECT_EQ(s->max_tokens, 64);
  EXPECT_EQ(s->user, "u7");
  core::ChatTokenEstimate expected;
  expected.add_message("system", "You are terse.");
  expected.add_message("user", "Hello there!");
  EXPECT_EQ(s->input_tokens, expected.total());
  EXPECT_EQ(body.substr(s->model_value_offset, s->model_value_length), "\"m1\"");
}

TEST(ProxyRequestSummary, ContentPartsAreCounted) {
  auto s = summarize_request(
      R"({"model":"m","messages":[{"role":"user","content":[{"type":"text","text":"abcdefgh"},{"type":"text","text":"abcd"}]}]})",
      ApiKind::kChat);
  ASSERT_TRUE(s);
  core::ChatTokenEstimate expected;
  expected.add_message_tokens("user", 2 + 1);
  EXPECT_EQ(s->input_tokens, expected.total());
}

TEST(ProxyRequestSummary, MaxCompletionTokensAndNulls) {
  auto s = summarize_request(R"({"model":"m","prompt":"abcd","max_completion_tokens":7,"stream":null})",
                             ApiKind::kCompletion);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->max_tokens, 7);
  EXPECT_FALSE(s->stream);
  EXPECT_EQ(s->input_tokens, 1);
}

TEST(ProxyRequestSummary, PromptArray) {
  auto s = summarize_request(R"({"model":"m","prompt":["abcd","abcdefgh"]})", ApiKind::kCompletion);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->input_tokens, 3);
}

TEST(ProxyRequestSummary, IncludeUsageIgnoredWithoutStream) {
  auto s = summarize_request(R"({"model":"m","prompt":"x","stream_options":{"include_usage":true}})", ApiKind::kCompletion);
  ASSERT_TRUE(s);
  EXPECT_FALSE(s->include_usage);
}

TEST(ProxyRequestSummary, ClientCacheSaltIsNoticed) {
  auto s = summarize_request(R"({"model":"m","prompt":"x","cache_salt":"mine"})", ApiKind::kCompletion);
  ASSERT_TRUE(s);
  EXPECT_TRUE(s->has_cache_salt);
}

struct BadCase {
  const char* body;
  ApiKind kind;
  ErrorCode code;
  const char* param;
};

class ProxyRequestSummaryErrors : public ::testing::TestWithParam<BadCase> {};

TEST_P(ProxyRequestSummaryErrors, AreFourHundredsNamingTheField) {
  const auto& c = GetParam();
  auto s = summarize_request(c.body, c.kind);
  ASSERT_FALSE(s) << c.body;
  EXPECT_EQ(s.error().code, c.code) << c.body;
  EXPECT_EQ(s.error().param, c.param) << c.body;
}

INSTANTIATE_TEST_SUITE_P(
    All, ProxyRequestSummaryErrors,
    ::testing::Values(BadCase{"not json", ApiKind::kChat, ErrorCode::kInvalidJson, ""},
                      BadCase{"[1,2]", ApiKind::kChat, ErrorCode::kInvalidJson, ""},
                      BadCase{R"({"model":"m","messages":[{"role":"user","content":"x"}])", ApiKind::kChat, ErrorCode::kInvalidJson, ""},
                      BadCase{R"({"messages":[{"role":"user","content":"x"}]})", ApiKind::kChat, ErrorCode::kInvalidRequest, "model"},
                      BadCase{R"({"model":5,"messages":[]})", ApiKind::kChat, ErrorCode::kInvalidRequest, "model"},
                      BadCase{R"({"model":"m"})", ApiKind::kChat, ErrorCode::kInvalidRequest, "messages"},
                      BadCase{R"({"model":"m","messages":[]})", ApiKind::kChat, ErrorCode::kInvalidRequest, "messages"},
                      BadCase{R"({"model":"m","messages":"hi"})", ApiKind::kChat, ErrorCode::kInvalidRequest, "messages"},
                      BadCase{R"({"model":"m","messages":[{"content":"x"}]})", ApiKind::kChat, ErrorCode::kInvalidRequest, "messages"},
                      BadCase{R"({"model":"m","prompt":"x","stream":"yes"})", ApiKind::kCompletion, ErrorCode::kInvalidRequest, "stream"},
                      BadCase{R"({"model":"m","prompt":"x","max_tokens":-1})", ApiKind::kCompletion, ErrorCode::kInvalidRequest, "max_tokens"},
                      BadCase{R"({"model":"m","prompt":"x","max_tokens":"9"})", ApiKind::kCompletion, ErrorCode::kInvalidRequest, "max_tokens"},
                      BadCase{R"({"model":"m","prompt":7})", ApiKind::kCompletion, ErrorCode::kInvalidRequest, "prompt"},
                      BadCase{R"({"model":"m"})", ApiKind::kCompletion, ErrorCode::kInvalidRequest, "prompt"},
                      BadCase{R"({"model":"m","prompt":"x","stream_options":3})", ApiKind::kCompletion, ErrorCode::kInvalidRequest, "stream_options"}));

}  // namespace
}  // namespace sluice::proxy
