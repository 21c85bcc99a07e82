#include "sluice/engine/openai_codec.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "sluice/core/token_estimate.h"
#include "sluice/engine/synthetic_text.h"

namespace sluice::engine {
namespace {

using nlohmann::json;

TEST(EngineOpenAiCodec, ChatPromptTokensMatchTheGatewayEstimate) {
  const auto req = parse_completion_request(ApiKind::kChat, R"({
    "model":"m","max_tokens":12,"stream":true,"stream_options":{"include_usage":true},"cache_salt":"s1",
    "messages":[{"role":"system","content":"You are terse."},
                {"role":"user","content":[{"type":"text","text":"Hello "},{"type":"text","text":"there"}]}]})",
                                            0);
  ASSERT_TRUE(req) << req.error().message;
  core::ChatTokenEstimate estimate;
  estimate.add_message("system", "You are terse.");
  estimate.add_message("user", "Hello there");
  EXPECT_EQ(req->prompt_tokens, estimate.total());
  EXPECT_EQ(req->model, "m");
  EXPECT_EQ(req->max_tokens, 12);
  EXPECT_TRUE(req->stream);
  EXPECT_TRUE(req->include_usage);
  EXPECT_EQ(req->cache_salt, "s1");
  EXPECT_EQ(req->first_token_index, 0);
}

TEST(EngineOpenAiCodec, MaxCompletionTokensWins) {
  const auto req = parse_completion_request(
      ApiKind::kChat, R"({"messages":[{"role":"user","content":"x"}],"max_tokens":5,"max_completion_tokens":9})", 0);
  ASSERT_TRUE(req);
  EXPECT_EQ(req->max_tokens, 9);
  const auto none = parse_completion_request(ApiKind::kChat, R"({"messages":[{"role":"user","content":"x"}]})", 0);
  ASSERT_TRUE(none);
  EXPECT_FALSE(none->max_tokens.has_value());
}

TEST(EngineOpenAiCodec, IgnoreEos) {
  const auto on = parse_completion_request(
      ApiKind::kChat, R"({"messages":[{"role":"user","content":"x"}],"max_tokens":5,"ignore_eos":true})", 0);
  ASSERT_TRUE(on) << on.error().message;
  EXPECT_TRUE(on->ignore_eos);
  const auto off = parse_completion_request(ApiKind::kCompletion, R"({"prompt":"x","ignore_eos":null})", 0);
  ASSERT_TRUE(off) << off.error().message;
  EXPECT_FALSE(off->ignore_eos);
  const auto bad = parse_completion_request(ApiKind::kChat, R"({"messages":[{"role":"user","content":"x"}],"ignore_eos":1})", 0);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().param, "ignore_eos");
}

TEST(EngineOpenAiCodec, ContinueFinalMessageContinuesTheSameText) {
  const auto first = parse_completion_request(ApiKind::kChat, R"({"messages":[{"role":"user","content":"tell me"}]})", 3);
  ASSERT_TRUE(first);
  std::string produced;
  append_synthetic_text(produced, first->text_key, 0, 5);
  json body;
  body["messages"] = json::array({{{"role", "user"}, {"content", "tell me"}}, {{"role", "assistant"}, {"content", produced}}});
  body["continue_final_message"] = true;
  body["add_generation_prompt"] = false;
  const auto cont = parse_completion_request(ApiKind::kChat, body.dump(), 3);
  ASSERT_TRUE(cont) << cont.error().message;
  EXPECT_EQ(cont->text_key, first->text_key);
  EXPECT_EQ(cont->first_token_index, 5);
  body["messages"][1]["role"] = "user";
  EXPECT_FALSE(parse_completion_request(ApiKind::kChat, body.dump(), 3));
}

TEST(EngineOpenAiCodec, CompletionPrompt) {
  const auto req = parse_completion_request(ApiKind::kCompletion, R"({"prompt":"0123456789"})", 0);
  ASSERT_TRUE(req);
  EXPECT_EQ(req->prompt_tokens, core::estimate_text_tokens("0123456789"));
  EXPECT_TRUE(parse_completion_request(ApiKind::kCompletion, R"({"prompt":["abc"]})", 0));
}

TEST(EngineOpenAiCodec, BadInputIsAnOpenAi400) {
  const auto cases = {
      std::pair<ApiKind, std::string>{ApiKind::kChat, "{not json"},
      {ApiKind::kChat, "[]"},
      {ApiKind::kChat, "{}"},
      {ApiKind::kChat, R"({"messages":"hi"})"},
      {ApiKind::kChat, R"({"messages":[]})"},
      {ApiKind::kChat, R"({"messages":[{"content":"no role"}]})"},
      {ApiKind::kChat, R"({"messages":[{"role":"user","content":5}]})"},
      {ApiKind::kChat, R"({"messages":[{"role":"user","content":"x"}],"max_tokens":"7"})"},
      {ApiKind::kChat, R"({"messages":[{"role":"user","content":"x"}],"max_tokens":0})"},
      {ApiKind::kChat, R"({"messages":[{"role":"user","content":"x"}],"stream":"yes"})"},
      {ApiKind::kChat, R"({"messages":[{"role":"user","content":"x"}],"n":2})"},
      {ApiKind::kChat, R"({"messages":[{"role":"user","content":"x"}],"model":3})"},
      {ApiKind::kCompletion, R"({"messages":[]})"},
      {ApiKind::kCompletion, R"({"prompt":""})"},
      {ApiKind::kCompletion, R"({"prompt":[1,2,3]})"},
  };
  for (const auto& [kind, body] : cases) {
    const auto req = parse_completion_request(kind, body, 0);
    ASSERT_FALSE(req) << body;
    EXPECT_EQ(core::http_status(req.error().code), 400) << body;
  }
}

TEST(EngineOpenAiCodec, RendersOpenAiShapes) {
  const ResponseMeta meta{"chatcmpl-1", 1700000000, "m\"x"};
  const auto chat = json::parse(render_completion(ApiKind::kChat, meta, " a b", FinishReason::kLength, {10, 2, 4}));
  EXPECT_EQ(chat["object"], "chat.completion");
  EXPECT_EQ(chat["model"], "m\"x");
  EXPECT_EQ(chat["choices"][0]["message"]["role"], "assistant");
  EXPECT_EQ(chat["choices"][0]["message"]["content"], " a b");
  ASSERT_TRUE(chat["choices"][0]["message"].contains("refusal"));  // required by OpenAI's schema
  EXPECT_TRUE(chat["choices"][0]["message"]["refusal"].is_null());
  EXPECT_EQ(chat["choices"][0]["finish_reason"], "length");
  // The nulls vLLM's answers carry (tests/conformance/compare_shapes.py).
  for (const char* key : {"annotations", "audio", "function_call", "reasoning"}) {
    ASSERT_TRUE(chat["choices"][0]["message"].contains(key)) << key;
    EXPECT_TRUE(chat["choices"][0]["message"][key].is_null()) << key;
  }
  ASSERT_TRUE(chat["choices"][0].contains("stop_reason"));
  EXPECT_TRUE(chat["choices"][0]["stop_reason"].is_null());
  ASSERT_TRUE(chat.contains("service_tier"));
  EXPECT_EQ(chat["system_fingerprint"], "sluice-engine-sim");
  ASSERT_TRUE(chat["usage"].contains("completion_tokens_details"));
  EXPECT_EQ(chat["usage"]["total_tokens"], 12);
  EXPECT_EQ(chat["usage"]["prompt_tokens_details"]["cached_tokens"], 4);
  const auto text = json::parse(render_completion(ApiKind::kCompletion, meta, " a", FinishReason::kStop, {1, 1, 0}));
  EXPECT_EQ(text["object"], "text_completion");
  EXPECT_EQ(text["choices"][0]["text"], " a");
  EXPECT_EQ(text["choices"][0]["finish_reason"], "stop");

  const ChunkRenderer renderer(ApiKind::kChat, meta);
  std::string out;
  renderer.append_token(out, " a", true);
  ASSERT_TRUE(out.starts_with("data: ") && out.ends_with("\n\n"));
  const auto first = json::parse(out.substr(6));
  EXPECT_EQ(first["object"], "chat.completion.chunk");
  EXPECT_EQ(first["choices"][0]["delta"]["role"], "assistant");
  EXPECT_EQ(first["choices"][0]["delta"]["content"], " a");
  out.clear();
  renderer.append_finish(out, FinishReason::kStop);
  const auto finish = json::parse(out.substr(6));
  EXPECT_EQ(finish["choices"][0]["finish_reason"], "stop");
  EXPECT_TRUE(finish["choices"][0].contains("stop_reason"));
  out.clear();
  renderer.append_usage(out, {3, 4, 0});
  const auto usage = json::parse(out.substr(6));
  EXPECT_TRUE(usage["choices"].empty());
  EXPECT_EQ(usage["usage"]["completion_tokens"], 4);
  EXPECT_FALSE(usage["usage"].contains("completion_tokens_details"));  // as vLLM's usage chunk
  EXPECT_EQ(usage["system_fingerprint"], "sluice-engine-sim");
}

TEST(EngineOpenAiCodec, ErrorsAreVllmShaped) {
  const auto body = json::parse(vllm_error_json({core::ErrorCode::kInvalidRequest, "bad", "max_tokens"}, 400));
  EXPECT_EQ(body, json::parse(R"({"error":{"message":"bad","type":"BadRequestError","param":"max_tokens","code":400}})"));
  EXPECT_EQ(json::parse(vllm_error_json({core::ErrorCode::kNoInstance, "asleep", ""}, 503))["error"]["type"],
            "ServiceUnavailableError");
  EXPECT_EQ(vllm_error_type(404), "NotFoundError");
  EXPECT_EQ(vllm_error_type(500), "InternalServerError");
  std::string out;
  ChunkRenderer::append_error(out, {core::ErrorCode::kInternal, "dead", ""}, 500);
  ASSERT_TRUE(out.starts_with("data: ") && out.ends_with("\n\n"));
  EXPECT_EQ(json::parse(out.substr(6))["error"]["code"], 500);
}

TEST(EngineOpenAiCodec, SamplingParametersAreCheckedAsVllmChecksThem) {
  const auto refused = [](std::string_view body) {
    const auto req = parse_completion_request(ApiKind::kChat, body, 0);
    return req ? std::string("accepted") : req.error().message;
  };
  constexpr std::string_view kMessages = R"("messages":[{"role":"user","content":"hi"}])";
  EXPECT_EQ(refused(fmt::format(R"({{{},"temperature":-0.5}})", kMessages)),
            "temperature must be non-negative, got -0.5. (parameter=temperature, value=-0.5)");
  EXPECT_EQ(refused(fmt::format(R"({{{},"top_p":1.5}})", kMessages)), "top_p must be in (0, 1], got 1.5. (parameter=top_p, value=1.5)");
  EXPECT_EQ(refused(fmt::format(R"({{{},"temperature":"hot"}})", kMessages)), "'temperature' must be a number");
  EXPECT_EQ(refused(fmt::format(R"({{{},"temperature":0,"top_p":1}})", kMessages)), "accepted");
  EXPECT_EQ(refused(fmt::format(R"({{{},"temperature":null}})", kMessages)), "accepted");
}

}  // namespace
}  // namespace sluice::engine
