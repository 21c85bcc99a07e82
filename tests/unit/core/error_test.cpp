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

TEST(ErrorTest, ParamIsKeptWhenGiven) {
  const auto body = nlohmann::json::parse(to_openai_json({ErrorCode::kInvalidRequest, "bad", "max_tokens"}));
  EXPECT_EQ(body["error"]["param"], "max_tokens");
}

}  // namespace
}  // namespace sluice::core
