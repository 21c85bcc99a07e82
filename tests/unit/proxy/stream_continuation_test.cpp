#include "sluice/proxy/stream_continuation.h"

#include <gtest/gtest.h>

#include <functional>
#include <nlohmann/json.hpp>

#include "sluice/core/token_estimate.h"
#include "sluice/engine/openai_codec.h"
#include "sluice/engine/synthetic_text.h"
#include "sluice/proxy/sse_parser.h"

namespace sluice::proxy {
namespace {

using nlohmann::json;

/// vLLM's shape: a role-only first chunk, one token per chunk, a finish
/// chunk, a usage chunk.
std::string vllm_chunk(std::string_view delta, std::string_view finish = "null", std::string_view id = "chatcmpl-a") {
  return std::string(R"({"id":")") + std::string(id) +
         R"(","object":"chat.completion.chunk","created":1700000000,"model":"m","choices":[{"index":0,"delta":)" +
         std::string(delta) + R"(,"logprobs":null,"finish_reason":)" + std::string(finish) + "}]}";
}

std::vector<std::string> data_of(std::string_view sse) {
  SseParser parser;
  std::vector<std::string> out;
  for (const auto& e : parser.feed(sse)) out.emplace_back(e.data);
  return out;
}

// ------------------------------------------------------------ transcript ----

TEST(ProxyStreamTranscript, AccumulatesChatTextAndTokens) {
  StreamTranscript t;
  t.record(vllm_chunk(R"({"role":"assistant","content":""})"));
  t.record(vllm_chunk(R"({"content":" Hello"})"));
  t.record(vllm_chunk(R"({"content":" wor\"ld"})"));
  EXPECT_EQ(t.id(), "chatcmpl-a");
  EXPECT_EQ(t.created(), 1700000000);
  EXPECT_EQ(t.model(), "m");
  EXPECT_EQ(t.text(), " Hello wor\"ld");
  EXPECT_EQ(t.tokens(), 2);  // the role-only chunk carries no token
  EXPECT_FALSE(t.finished());
  EXPECT_FALSE(t.refusal());
  t.record(vllm_chunk("{}", "\"stop\""));
  EXPECT_TRUE(t.finished());
  EXPECT_FALSE(t.usage_relayed());
  t.record(R"({"id":"chatcmpl-a","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":2}})");
  EXPECT_TRUE(t.usage_relayed());
  EXPECT_FALSE(t.done());
  t.record("[DONE]");
  EXPECT_TRUE(t.done());
}

TEST(ProxyStreamTranscript, AccumulatesCompletionsText) {
  StreamTranscript t;
  for (const char* piece : {" a", " b", "", " c"}) {
    t.record(std::string(R"({"id":"cmpl-1","object":"text_completion","created":5,"model":"m","choices":[{"index":0,"text":")") +
             piece + R"(","logprobs":null,"finish_reason":null}]})");
  }
  EXPECT_EQ(t.text(), " a b c");
  EXPECT_EQ(t.tokens(), 3);
  EXPECT_EQ(t.id(), "cmpl-1");
}

TEST(ProxyStreamTranscript, RefusesWhatCannotBeSpliced) {
  struct Case {
    const char* name;
    std::string chunk;
    ContinuationRefusal refusal;
  };
  const std::vector<Case> cases = {
      {"tool calls", vllm_chunk(R"({"tool_calls":[{"index":0,"function":{"arguments":"{"}}]})"),
       ContinuationRefusal::kToolCalls},
      {"legacy function call", vllm_chunk(R"({"function_call":{"name":"f"}})"), ContinuationRefusal::kToolCalls},
      {"logprobs", R"({"id":"x","choices":[{"index":0,"delta":{"content":" a"},"logprobs":{"content":[]},"finish_reason":null}]})",
       ContinuationRefusal::kLogprobs},
      {"second choice", R"({"id":"x","choices":[{"index":1,"delta":{"content":" a"},"finish_reason":null}]})",
       ContinuationRefusal::kSeveralChoices},
      {"engine error", R"({"error":{"message":"boom","code":"x"}})", ContinuationRefusal::kEngineError},
  };
  for (const auto& c : cases) {
    StreamTranscript t;
    t.record(vllm_chunk(R"({"role":"assistant","content":" ok"})"));
    EXPECT_FALSE(t.refusal()) << c.name;
    t.record(c.chunk);
    ASSERT_TRUE(t.refusal()) << c.name;
    EXPECT_EQ(*t.refusal(), c.refusal) << c.name;
  }
  StreamTranscript fine;  // null and empty tool_calls say nothing
  fine.record(vllm_chunk(R"({"content":" a","tool_calls":[]})"));
  fine.record(vllm_chunk(R"({"content":" b","tool_calls":null})"));
  EXPECT_FALSE(fine.refusal());
  EXPECT_EQ(fine.text(), " a b");
}

TEST(ProxyStreamTranscript, IgnoresWhatIsNotAChunk) {
  StreamTranscript t;
  t.record("");
  t.record("not json");
  t.record("{\"truncated\":");
  t.record(vllm_chunk(R"({"content":" x"})"));
  EXPECT_EQ(t.text(), " x");
  EXPECT_FALSE(t.refusal());
}

// ------------------------------------------------------------------ body ----

TEST(ProxyContinuationBody, ChatGetsTheTextAsAFinalAssistantMessage) {
  const std::string body =
      R"({"model":"up","messages":[{"role":"system","content":"be brief"},{"role":"user","content":"hi"}],)"
      R"("max_tokens":10,"max_completion_tokens":12,"min_tokens":3,"stream":true,"cache_salt":"s","stream_options":{"include_usage":true}})";
  auto built = build_continuation_body(body, ApiKind::kChat, " Hello there", 4);
  ASSERT_TRUE(built);
  ASSERT_FALSE(built->max_tokens_reached);
  const json j = json::parse(built->body);
  ASSERT_EQ(j["messages"].size(), 3u);
  EXPECT_EQ(j["messages"][1]["content"], "hi");
  EXPECT_EQ(j["messages"][2], (json{{"role", "assistant"}, {"content", " Hello there"}}));
  EXPECT_EQ(j["continue_final_message"], true);
  EXPECT_EQ(j["add_generation_prompt"], false);
  EXPECT_EQ(j["max_tokens"], 6);
  EXPECT_EQ(j["max_completion_tokens"], 8);
  EXPECT_EQ(j["min_tokens"], 0);
  EXPECT_EQ(j["model"], "up");
  EXPECT_EQ(j["cache_salt"], "s");
  EXPECT_EQ(j["stream_options"]["include_usage"], true);
}

TEST(ProxyContinuationBody, AClientPrefillIsExtended) {
  struct Case {
    const char* content;
    json expected;
  };
  const std::vector<Case> cases = {
      {R"("Sure:")", "Sure: one two"},
      {"null", " one two"},
      {R"([{"type":"text","text":"Sure:"}])",
       json::array({{{"type", "text"}, {"text", "Sure:"}}, {{"type", "text"}, {"text", " one two"}}})},
  };
  for (const auto& c : cases) {
    const std::string body = std::string(R"({"messages":[{"role":"user","content":"q"},{"role":"assistant","content":)") +
                             c.content + R"(}],"continue_final_message":true,"add_generation_prompt":false})";
    auto built = build_continuation_body(body, ApiKind::kChat, " one two", 2);
    ASSERT_TRUE(built) << c.content;
    const json j = json::parse(built->body);
    ASSERT_EQ(j["messages"].size(), 2u) << c.content;
    EXPECT_EQ(j["messages"][1]["content"], c.expected) << c.content;
  }
}

TEST(ProxyContinuationBody, CompletionsGetTheTextAppendedToThePrompt) {
  auto plain = build_continuation_body(R"({"prompt":"Once","max_tokens":5})", ApiKind::kCompletion, " upon a", 2);
  ASSERT_TRUE(plain);
  EXPECT_EQ(json::parse(plain->body)["prompt"], "Once upon a");
  EXPECT_EQ(json::parse(plain->body)["max_tokens"], 3);
  EXPECT_FALSE(json::parse(plain->body).contains("continue_final_message"));
  auto listed = build_continuation_body(R"({"prompt":["Once"]})", ApiKind::kCompletion, " upon", 1);
  ASSERT_TRUE(listed);
  EXPECT_EQ(json::parse(listed->body)["prompt"], json::array({"Once upon"}));
}

TEST(ProxyContinuationBody, MaxTokensUsedUpNeedsNoContinuation) {
  struct Case {
    const char* body;
    std::int64_t tokens;
    bool reached;
  };
  const std::vector<Case> cases = {
      {R"({"prompt":"p","max_tokens":8})", 7, false},
      {R"({"prompt":"p","max_tokens":8})", 8, true},
      {R"({"prompt":"p","max_tokens":8})", 9, true},
      {R"({"prompt":"p","max_tokens":null})", 500, false},
      {R"({"prompt":"p"})", 500, false},
  };
  for (const auto& c : cases) {
    auto built = build_continuation_body(c.body, ApiKind::kCompletion, " x", c.tokens);
    ASSERT_TRUE(built) << c.body;
    EXPECT_EQ(built->max_tokens_reached, c.reached) << c.body << " after " << c.tokens;
    EXPECT_EQ(built->body.empty(), c.reached) << c.body;
  }
  auto chat = build_continuation_body(R"({"messages":[{"role":"user","content":"q"}],"max_completion_tokens":3})",
                                      ApiKind::kChat, " a b c", 3);
  ASSERT_TRUE(chat);
  EXPECT_TRUE(chat->max_tokens_reached);
}

TEST(ProxyContinuationBody, RefusesWhatCannotBeContinued) {
  struct Case {
    const char* body;
    ApiKind kind;
    ContinuationRefusal refusal;
  };
  const std::vector<Case> cases = {
      {R"({"messages":[{"role":"user","content":"q"}],"n":2})", ApiKind::kChat, ContinuationRefusal::kSeveralChoices},
      {R"({"prompt":"p","n":3})", ApiKind::kCompletion, ContinuationRefusal::kSeveralChoices},
      {R"({"messages":[{"role":"user","content":"q"}],"logprobs":true})", ApiKind::kChat, ContinuationRefusal::kLogprobs},
      {R"({"prompt":"p","logprobs":2})", ApiKind::kCompletion, ContinuationRefusal::kLogprobs},
      {R"({"prompt":"p","echo":true})", ApiKind::kCompletion, ContinuationRefusal::kUnsupportedRequest},
      {R"({"prompt":[1,2,3]})", ApiKind::kCompletion, ContinuationRefusal::kUnsupportedRequest},
      {R"({"prompt":["a","b"]})", ApiKind::kCompletion, ContinuationRefusal::kUnsupportedRequest},
      {R"({"messages":[]})", ApiKind::kChat, ContinuationRefusal::kUnsupportedRequest},
      {R"(not json)", ApiKind::kChat, ContinuationRefusal::kUnsupportedRequest},
  };
  for (const auto& c : cases) {
    auto built = build_continuation_body(c.body, c.kind, " x", 1);
    ASSERT_FALSE(built) << c.body;
    EXPECT_EQ(built.error(), c.refusal) << c.body;
  }
  EXPECT_TRUE(build_continuation_body(R"({"messages":[{"role":"user","content":"q"}],"n":1,"logprobs":false})",
                                      ApiKind::kChat, " x", 1));
}

// --------------------------------------------------------------- splicer ----

StreamTranscript original_stream() {
  StreamTranscript t;
  t.record(vllm_chunk(R"({"role":"assistant","content":""})", "null", "chatcmpl-orig"));
  t.record(vllm_chunk(R"({"content":" a"})", "null", "chatcmpl-orig"));
  return t;
}

TEST(ProxyStreamSplicer, RewritesIdentityAndDropsTheRoleChunk) {
  const StreamSplicer splicer(original_stream(), 1, 20);
  const std::string role_only =
      R"({"id":"chatcmpl-new","object":"chat.completion.chunk","created":1800000000,"model":"other","choices":[{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}]})";
  EXPECT_FALSE(splicer.splice(role_only));

  // engine-sim's first chunk has the role and a token: the token stays.
  const auto first = splicer.splice(
      R"({"id":"chatcmpl-new","object":"chat.completion.chunk","created":1800000000,"model":"other","choices":[{"index":0,"delta":{"role":"assistant","content":" b"},"logprobs":null,"finish_reason":null}]})");
  ASSERT_TRUE(first);
  const json j = json::parse(*first);
  EXPECT_EQ(j["id"], "chatcmpl-orig");
  EXPECT_EQ(j["created"], 1700000000);
  EXPECT_EQ(j["model"], "m");
  EXPECT_EQ(j["object"], "chat.completion.chunk");
  EXPECT_EQ(j["choices"][0]["index"], 0);
  EXPECT_EQ(j["choices"][0]["delta"], (json{{"content", " b"}}));
  EXPECT_EQ(first->find("\"id\""), 1u) << "key order is kept: " << *first;

  const auto finish = splicer.splice(vllm_chunk("{}", "\"length\"", "chatcmpl-new"));
  ASSERT_TRUE(finish);
  EXPECT_EQ(json::parse(*finish)["choices"][0]["finish_reason"], "length");
  EXPECT_EQ(json::parse(*finish)["id"], "chatcmpl-orig");
}

TEST(ProxyStreamSplicer, MergesUsageAcrossTheSeam) {
  const StreamSplicer splicer(original_stream(), 7, 20);
  const auto usage = splicer.splice(
      R"({"id":"chatcmpl-new","object":"chat.completion.chunk","created":1,"model":"m","choices":[],"usage":{"prompt_tokens":35,"completion_tokens":5,"total_tokens":40,"prompt_tokens_details":{"cached_tokens":30}}})");
  ASSERT_TRUE(usage);
  const json u = json::parse(*usage)["usage"];
  EXPECT_EQ(u["prompt_tokens"], 20);      // the original prompt, not the continuation's
  EXPECT_EQ(u["completion_tokens"], 12);  // 7 before the seam + 5 after
  EXPECT_EQ(u["total_tokens"], 32);
  EXPECT_FALSE(u.contains("prompt_tokens_details"));
  const auto extracted = extract_usage(*usage);
  ASSERT_TRUE(extracted);
  EXPECT_TRUE(extracted->usage_only_chunk);
  EXPECT_EQ(extracted->completion_tokens, 12);
}

TEST(ProxyStreamSplicer, PassesDoneAndErrorsAsTheyAre) {
  const StreamSplicer splicer(original_stream(), 1, 20);
  EXPECT_EQ(splicer.splice("[DONE]"), "[DONE]");
  const std::string error = R"({"error":{"message":"x","type":"server_error","param":null,"code":"upstream_error"}})";
  EXPECT_EQ(splicer.splice(error), error);
}

// ------------------------------------------------------------------ seam ----

/// Renders a streamed completion as SSE event data: `words`, a finish
/// chunk ("length"), usage, [DONE].
std::vector<std::string> render_stream(engine::ApiKind kind, const engine::ResponseMeta& meta,
                                       const std::vector<std::string>& words, std::int64_t prompt_tokens) {
  const engine::ChunkRenderer renderer(kind, meta);
  std::string sse;
  for (std::size_t i = 0; i < words.size(); ++i) renderer.append_token(sse, words[i], i == 0);
  renderer.append_finish(sse, engine::FinishReason::kLength);
  renderer.append_usage(sse, engine::Usage{prompt_tokens, static_cast<std::int64_t>(words.size()), 0});
  engine::ChunkRenderer::append_done(sse);
  return data_of(sse);
}

/// A chat completion served by engine-sim with `seed`: its text is a pure
/// function of (seed, conversation before a continued assistant message, i).
std::vector<std::string> sim_chat_stream(const std::string& body, const engine::ResponseMeta& meta) {
  auto req = engine::parse_completion_request(engine::ApiKind::kChat, body, 42);
  EXPECT_TRUE(req) << body;
  if (!req) return {};
  std::vector<std::string> words;
  for (std::int64_t i = 0; i < req->max_tokens.value_or(16); ++i) {
    words.emplace_back(engine::synthetic_token(req->text_key, req->first_token_index + i));
  }
  return render_stream(engine::ApiKind::kChat, meta, words, req->prompt_tokens);
}

/// A completion served by a toy language model whose next word is a
/// function of the whole text before it, as with a real model, so
/// prompt + text so far carries on where the text stopped. (engine-sim keys
/// a completion's words on its prompt, so it cannot continue completions.)
std::vector<std::string> toy_completion_stream(const std::string& body, const engine::ResponseMeta& meta) {
  const json req = json::parse(body);
  std::string context = req["prompt"];
  std::vector<std::string> words;
  for (std::int64_t i = 0; i < req["max_tokens"].get<std::int64_t>(); ++i) {
    words.emplace_back(engine::synthetic_token(std::hash<std::string>{}(context), 0));
    context += words.back();
  }
  return render_stream(engine::ApiKind::kCompletion, meta, words,
                       core::estimate_text_tokens(req["prompt"].get<std::string>()));
}

/// The text pieces of a stream's chunks, in order (one per token).
std::vector<std::string> pieces(const std::vector<std::string>& events) {
  std::vector<std::string> out;
  for (const auto& e : events) {
    if (e == "[DONE]") continue;
    const json j = json::parse(e);
    for (const auto& c : j["choices"]) {
      if (c.contains("delta") && c["delta"].contains("content")) out.push_back(c["delta"]["content"]);
      if (c.contains("text") && !c["text"].get<std::string>().empty()) out.push_back(c["text"]);
    }
  }
  return out;
}

struct SeamCase {
  ApiKind kind;
  std::string body;
  std::function<std::vector<std::string>(const std::string&, const engine::ResponseMeta&)> engine;
};

TEST(ProxyStreamSeam, OriginalUpToTheFailurePlusSplicedContinuationIsTheUninterruptedStream) {
  const std::vector<SeamCase> cases = {
      {ApiKind::kChat,
       R"({"model":"m","messages":[{"role":"user","content":"tell me a story"}],"max_tokens":12,"stream":true,"stream_options":{"include_usage":true}})",
       sim_chat_stream},
      {ApiKind::kCompletion,
       R"({"model":"m","prompt":"Once upon a time","max_tokens":12,"stream":true,"stream_options":{"include_usage":true}})",
       toy_completion_stream},
  };
  for (const auto& c : cases) {
    const auto whole = c.engine(c.body, {"orig-1", 1700000000, "m"});
    const auto whole_pieces = pieces(whole);
    ASSERT_EQ(whole_pieces.size(), 12u);
    const auto whole_usage = extract_usage(whole[whole.size() - 2]);
    ASSERT_TRUE(whole_usage);

    for (std::size_t cut = 1; cut < whole_pieces.size(); ++cut) {
      // The client got the first `cut` token chunks, then the engine died.
      std::vector<std::string> client(whole.begin(), whole.begin() + static_cast<std::ptrdiff_t>(cut));
      StreamTranscript transcript;
      for (const auto& e : client) transcript.record(e);
      ASSERT_EQ(transcript.tokens(), static_cast<std::int64_t>(cut));

      const SeamStep step = next_seam_step(transcript, c.body, c.kind, SeamLimits{0, 2, false});
      ASSERT_EQ(step.kind, SeamStep::Kind::kContinue) << "cut " << cut;
      // Another engine (same seed, same weights) serves the continuation.
      const auto continuation = c.engine(step.body, {"other-9", 1800000000, "m"});
      const StreamSplicer splicer(transcript, transcript.tokens(), whole_usage->prompt_tokens);
      for (const auto& e : continuation) {
        if (auto spliced = splicer.splice(e)) client.push_back(*spliced);
      }

      EXPECT_EQ(pieces(client), whole_pieces) << "cut " << cut << ": a token was duplicated or lost";
      EXPECT_EQ(std::count(client.begin(), client.end(), "[DONE]"), 1);
      int roles = 0;
      for (const auto& e : client) {
        if (e == "[DONE]") continue;
        const json j = json::parse(e);
        EXPECT_EQ(j["id"], "orig-1") << e;
        EXPECT_EQ(j["created"], 1700000000) << e;
        if (j["choices"].size() == 1 && j["choices"][0].contains("delta")) roles += j["choices"][0]["delta"].contains("role");
      }
      EXPECT_EQ(roles, c.kind == ApiKind::kChat ? 1 : 0) << "cut " << cut;
      const auto usage = extract_usage(client[client.size() - 2]);
      ASSERT_TRUE(usage) << client[client.size() - 2];
      EXPECT_EQ(usage->prompt_tokens, whole_usage->prompt_tokens) << "cut " << cut;
      EXPECT_EQ(usage->completion_tokens, whole_usage->completion_tokens) << "cut " << cut;
    }
  }
}

TEST(ProxyStreamSeam, NextStepTable) {
  const std::string body = R"({"messages":[{"role":"user","content":"q"}],"max_tokens":4})";
  const auto transcript_of = [](std::vector<std::string> events) {
    StreamTranscript t;
    for (const auto& e : events) t.record(e);
    return t;
  };
  const std::string token = vllm_chunk(R"({"content":" a"})");
  struct Case {
    const char* name;
    StreamTranscript transcript;
    std::string body;
    SeamLimits limits;
    SeamStep::Kind kind;
  };
  const std::vector<Case> cases = {
      {"continue", transcript_of({token}), body, {0, 2, false}, SeamStep::Kind::kContinue},
      {"second continuation", transcript_of({token}), body, {1, 2, false}, SeamStep::Kind::kContinue},
      {"no continuations left", transcript_of({token}), body, {2, 2, false}, SeamStep::Kind::kGiveUp},
      {"retries: 0", transcript_of({token}), body, {0, 0, false}, SeamStep::Kind::kGiveUp},
      {"deadline passed", transcript_of({token}), body, {0, 2, true}, SeamStep::Kind::kGiveUp},
      {"max_tokens used up", transcript_of({token, token, token, token}), body, {2, 2, true}, SeamStep::Kind::kClose},
      {"finish relayed", transcript_of({token, vllm_chunk("{}", "\"stop\"")}), body, {0, 2, false}, SeamStep::Kind::kClose},
      {"[DONE] relayed", transcript_of({token, "[DONE]"}), body, {0, 2, false}, SeamStep::Kind::kClose},
      {"tool calls", transcript_of({vllm_chunk(R"({"tool_calls":[{"index":0}]})")}), body, {0, 2, false},
       SeamStep::Kind::kGiveUp},
      {"n > 1", transcript_of({token}), R"({"messages":[{"role":"user","content":"q"}],"n":2})", {0, 2, false},
       SeamStep::Kind::kGiveUp},
  };
  for (const auto& c : cases) {
    const SeamStep step = next_seam_step(c.transcript, c.body, ApiKind::kChat, c.limits);
    EXPECT_EQ(step.kind, c.kind) << c.name;
    EXPECT_EQ(step.body.empty(), c.kind != SeamStep::Kind::kContinue) << c.name;
  }
  const SeamStep tools = next_seam_step(cases[8].transcript, body, ApiKind::kChat, {0, 2, false});
  EXPECT_EQ(tools.refusal, ContinuationRefusal::kToolCalls);
}

TEST(ProxyStreamSeam, ClosingEventsEndAStreamWithNothingLeft) {
  StreamTranscript t;
  t.record(vllm_chunk(R"({"role":"assistant","content":" a"})"));
  t.record(vllm_chunk(R"({"content":" b"})"));
  const auto events = data_of(closing_events(t, ApiKind::kChat, true, 9));
  ASSERT_EQ(events.size(), 3u);
  const json finish = json::parse(events[0]);
  EXPECT_EQ(finish["id"], "chatcmpl-a");
  EXPECT_EQ(finish["choices"][0]["finish_reason"], "length");
  EXPECT_EQ(finish["choices"][0]["delta"], json::object());
  const auto usage = extract_usage(events[1]);
  ASSERT_TRUE(usage);
  EXPECT_EQ(usage->prompt_tokens, 9);
  EXPECT_EQ(usage->completion_tokens, 2);
  EXPECT_TRUE(usage->usage_only_chunk);
  EXPECT_EQ(events[2], "[DONE]");

  EXPECT_EQ(data_of(closing_events(t, ApiKind::kChat, false, 9)).size(), 2u);  // no usage asked for
  t.record(vllm_chunk("{}", "\"stop\""));
  EXPECT_EQ(data_of(closing_events(t, ApiKind::kChat, false, 9)), std::vector<std::string>{"[DONE]"});
  t.record("[DONE]");
  EXPECT_EQ(closing_events(t, ApiKind::kChat, true, 9), "");

  StreamTranscript completion;
  completion.record(R"({"id":"cmpl-1","object":"text_completion","created":5,"model":"m","choices":[{"index":0,"text":" a","logprobs":null,"finish_reason":null}]})");
  const json last = json::parse(data_of(closing_events(completion, ApiKind::kCompletion, false, 1))[0]);
  EXPECT_EQ(last["object"], "text_completion");
  EXPECT_EQ(last["choices"][0]["text"], "");
  EXPECT_EQ(last["choices"][0]["finish_reason"], "length");
}

}  // namespace
}  // namespace sluice::proxy
