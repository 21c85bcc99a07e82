// parse_max_model_len: the context length an engine's /v1/models gives.
#include "sluice/health/engine_models.h"

#include <gtest/gtest.h>

namespace sluice::health {
namespace {

TEST(HealthEngineModels, VllmAnswer) {
  const std::string body = R"({"object":"list","data":[{"id":"meta-llama/Llama-3.1-8B-Instruct","object":"model",)"
                           R"("owned_by":"vllm","root":"x","parent":null,"max_model_len":8192,"permission":[]}]})";
  EXPECT_EQ(parse_max_model_len(body, "meta-llama/Llama-3.1-8B-Instruct"), 8192);
  EXPECT_EQ(parse_max_model_len(body, "other"), 8192);  // the only entry
}

TEST(HealthEngineModels, ThePickedModelAmongSeveral) {
  const std::string body = R"({"data":[{"id":"a","max_model_len":100},{"id":"b","max_model_len":200}]})";
  EXPECT_EQ(parse_max_model_len(body, "b"), 200);
  EXPECT_EQ(parse_max_model_len(body, "c"), std::nullopt);
}

TEST(HealthEngineModels, NothingUsable) {
  EXPECT_EQ(parse_max_model_len("not json", "a"), std::nullopt);
  EXPECT_EQ(parse_max_model_len(R"({"data":[{"id":"a"}]})", "a"), std::nullopt);  // llama.cpp: no field
  EXPECT_EQ(parse_max_model_len(R"({"data":[{"id":"a","max_model_len":-5}]})", "a"), std::nullopt);
  EXPECT_EQ(parse_max_model_len(R"({"data":[{"id":"a","max_model_len":"8k"}]})", "a"), std::nullopt);
  EXPECT_EQ(parse_max_model_len(R"({"data":{}})", "a"), std::nullopt);
  EXPECT_EQ(parse_max_model_len(std::string(100, '['), "a"), std::nullopt);
  EXPECT_EQ(parse_max_model_len(R"({"data":[{"id":"a","max_model_len":9,"x":)" + std::string(500'000, '[') + "}]}", "a"),
            std::nullopt);  // too deep to parse
  EXPECT_EQ(parse_max_model_len(R"({"data":[{"id":"a]]]]{{","max_model_len":9}]})", "a]]]]{{"), 9);  // brackets in strings
}

}  // namespace
}  // namespace sluice::health
