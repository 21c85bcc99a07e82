#include "sluice/loadgen/response_parse.h"

#include <gtest/gtest.h>

namespace sluice::loadgen {
namespace {

TEST(LoadgenResponse, ChunkKinds) {
  EXPECT_EQ(classify_chunk(R"({"id":"x","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"role":"assistant","content":" lorem"},"finish_reason":null}]})"),
            ChunkKind::kContent);
  EXPECT_EQ(classify_chunk(R"({"choices":[{"index":0,"delta":{"role":"assistant","content":""}}]})"), ChunkKind::kOther);
  EXPECT_EQ(classify_chunk(R"({"choices":[{"index":0,"delta":{},"finish_reason":"length"}]})"), ChunkKind::kOther);
  EXPECT_EQ(classify_chunk(R"({"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":4}})"), ChunkKind::kOther);
  EXPECT_EQ(classify_chunk(R"({"object":"text_completion","choices":[{"index":0,"text":" ipsum"}]})"), ChunkKind::kContent);
  EXPECT_EQ(classify_chunk(R"({"error":{"message":"x","code":"upstream_error"}})"), ChunkKind::kError);
  EXPECT_EQ(classify_chunk("not json, \"content\""), ChunkKind::kOther);
  EXPECT_EQ(classify_chunk(""), ChunkKind::kOther);
}

TEST(LoadgenResponse, ErrorCode) {
  EXPECT_EQ(error_code_of(R"({"error":{"message":"slow down","type":"rate_limit_error","param":null,"code":"queue_full"}})"),
            "queue_full");
  EXPECT_EQ(error_code_of(R"({"error":{"message":"x","code":null}})"), "");
  EXPECT_EQ(error_code_of("<html>"), "");
  EXPECT_EQ(error_code_of(""), "");
}

}  // namespace
}  // namespace sluice::loadgen
