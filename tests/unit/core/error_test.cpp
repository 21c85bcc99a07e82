#include "sluice/core/error.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace sluice::core {
namespace {

TEST(ErrorTest, OpenAiShapeWithNullParam) {
  const auto body = nlohmann::json::parse(to_openai_json({ErrorCode::kInvalidApiKey, "Incorrect API key provided.", ""}));
  EXPECT_EQ(body["error"]["message"], "Incorrect API key provided.");
  EXPECT_EQ(body["error"]["type"], "authentication_error");
  EXPECT_TRUE(body["error"]["param"].is_null());
  EXPECT_EQ(body["error"]["code"], "invalid_api_key");
}

TEST(ErrorTest, StatusPerCode) {
  EXPECT_EQ(http_status(ErrorCode::kInvalidJson), 400);
  EXPECT_EQ(http_status(ErrorCode::kMissingApiKey), 401);
  EXPECT_EQ(http_status(ErrorCode::kModelNotFound), 404);
  EXPECT_EQ(http_status(ErrorCode::kMethodNotAllowed), 405);
  EXPECT_EQ(http_status(ErrorCode::kBodyTooLarge), 413);
  EXPECT_EQ(http_status(ErrorCode::kUpstreamError), 502);
  EXPECT_EQ(http_status(ErrorCode::kNoInstance), 503);
  EXPECT_EQ(http_status(ErrorCode::kUpstreamTimeout), 504);
}

TEST(ErrorTest, ContextLengthExceededIsA400InvalidRequestError) {
  // OpenAI's code for it; a 400 is not retried by the SDKs (a 429 would be).
  EXPECT_EQ(http_status(ErrorCode::kContextLengthExceeded), 400);
  const auto body = nlohmann::json::parse(to_openai_json({ErrorCode::kContextLengthExceeded, "too long", "messages"}));
  EXPECT_EQ(body["error"]["type"], "invalid_request_error");
  EXPECT_EQ(body["error"]["code"], "context_length_exceeded");
}

TEST(ErrorTest, ParamIsKeptWhenGiven) {
  const auto body = nlohmann::json::parse(to_openai_json({ErrorCode::kInvalidRequest, "bad", "max_tokens"}));
  EXPECT_EQ(body["error"]["param"], "max_tokens");
}

TEST(ErrorTest, BytesThatAreNotUtf8NeverMakeTheBodyThrow) {
  // A 404 quoting a path with bytes that are not UTF-8 (no authentication
  // needed), or a 400 quoting x-sluice-priority, threw in the serializer:
  // the client got zero bytes and the access log no line.
  std::string body;
  ASSERT_NO_THROW(body = to_openai_json({ErrorCode::kNotFound, "no route for /v1/\xff\xfe\xc3(", "x-sluice-\x80"}));
  const auto parsed = nlohmann::json::parse(body);
  EXPECT_EQ(parsed["error"]["message"], "no route for /v1/\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD(");
  EXPECT_EQ(parsed["error"]["param"], "x-sluice-\xEF\xBF\xBD");
  EXPECT_EQ(parsed["error"]["code"], "not_found");
}

}  // namespace
}  // namespace sluice::core
