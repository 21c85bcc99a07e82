#include "sluice/loadgen/prompt.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "sluice/proxy/request_summary.h"

namespace sluice::loadgen {
namespace {

/// The gateway's own view of a body.
proxy::RequestSummary summary_of(const std::string& body) {
  auto summary = proxy::summarize_request(body, proxy::ApiKind::kChat);
  EXPECT_TRUE(summary.has_value()) << body;
  return summary.value_or(proxy::RequestSummary{});
}

TEST(LoadgenPrompt, GatewayEstimateEqualsTheRequestedInputTokens) {
  const std::string tag = request_tag(0x12345678, 987654);
  for (std::int64_t input = min_input_tokens(tag); input <= 5000; input += input < 100 ? 1 : 37) {
    const std::string body = chat_request_body({.model = "m", .input_tokens = input, .max_tokens = 9, .tag = tag});
    EXPECT_EQ(summary_of(body).input_tokens, input) << body.size();
  }
}

TEST(LoadgenPrompt, ContentStartsWithTheTagAndFieldsAreSet) {
  const std::string tag = request_tag(7, 42);
  EXPECT_EQ(tag, "7-16");  // base 36
  const std::string body =
      chat_request_body({.model = "llama-3.1-8b-instruct", .input_tokens = 300, .max_tokens = 128, .stream = true, .tag = tag});
  const auto json = nlohmann::json::parse(body);
  EXPECT_EQ(json["model"], "llama-3.1-8b-instruct");
  EXPECT_EQ(json["max_tokens"], 128);
  EXPECT_EQ(json["stream"], true);
  EXPECT_EQ(json["stream_options"]["include_usage"], true);
  ASSERT_EQ(json["messages"].size(), 1u);
  EXPECT_EQ(json["messages"][0]["role"], "user");
  EXPECT_TRUE(json["messages"][0]["content"].get<std::string>().starts_with("7-16 ")) << body;
  const auto summary = summary_of(body);
  EXPECT_TRUE(summary.stream);
  EXPECT_TRUE(summary.include_usage);
  EXPECT_EQ(summary.max_tokens, 128);

  const auto plain = nlohmann::json::parse(chat_request_body({.model = "m", .input_tokens = 50, .max_tokens = 1, .tag = tag}));
  EXPECT_EQ(plain["stream"], false);
  EXPECT_FALSE(plain.contains("stream_options"));
  EXPECT_FALSE(plain.contains("ignore_eos"));

  const std::string exact = chat_request_body({.model = "m", .input_tokens = 50, .max_tokens = 7, .tag = tag, .ignore_eos = true});
  EXPECT_EQ(nlohmann::json::parse(exact)["ignore_eos"], true);
  EXPECT_EQ(summary_of(exact).input_tokens, 50);
}

TEST(LoadgenPrompt, TooFewTokensForTheTagSendsTheTagAlone) {
  const std::string tag = request_tag(0xffffffff, 123456789);
  const std::string body = chat_request_body({.model = "m", .input_tokens = 1, .max_tokens = 1, .tag = tag});
  EXPECT_EQ(nlohmann::json::parse(body)["messages"][0]["content"], tag);
  EXPECT_EQ(summary_of(body).input_tokens, min_input_tokens(tag));
}

TEST(LoadgenPrompt, TagsDifferPerRequestAndRun) {
  EXPECT_NE(request_tag(1, 2), request_tag(1, 3));
  EXPECT_NE(request_tag(1, 2), request_tag(2, 2));
}

}  // namespace
}  // namespace sluice::loadgen
