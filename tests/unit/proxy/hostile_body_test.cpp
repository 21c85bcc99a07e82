// Request bodies and engine streams built to break the gateway: nesting
// deep enough to overflow a recursive parser, bytes after the object,
// JSON that only a full parse rejects, numbers at the edges of int64, and
// SSE events without an end.
#include <gtest/gtest.h>

#include <chrono>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>

#include "sluice/proxy/json_check.h"
#include "sluice/proxy/request_summary.h"
#include "sluice/proxy/sse_parser.h"
#include "sluice/proxy/stream_continuation.h"
#include "sluice/proxy/upstream_body.h"

namespace sluice::proxy {
namespace {

using core::ErrorCode;
using nlohmann::json;

const std::string kMessages = R"("messages":[{"role":"user","content":"hi"}])";

std::string nested(std::size_t depth, char open = '[', char close = ']') {
  return std::string(depth, open) + std::string(depth, close);
}

// ------------------------------------------------------------ json_check ----

TEST(ProxyJsonCheck, AcceptsJson) {
  for (const char* text : {R"({})", R"([])", R"("x")", "0", "-0.5e+10", "true", "null", " {\"a\" : [1, 2.0, {\"b\":null}]} \n",
                           R"(["\u00e9\ud83d\ude00\n\"\\\/"])", "[\"\xC3\xA9\xF0\x9F\x98\x80\"]"}) {
    EXPECT_TRUE(check_json(text)) << text;
  }
  EXPECT_TRUE(check_json(nested(kMaxJsonDepth)));
}

TEST(ProxyJsonCheck, RefusesWhatIsNotJson) {
  for (const char* text : {"", " ", "{", "}", "[1,]", "[,1]", R"({"a"})", R"({"a":})", R"({"a":1,})", R"({1:2})",
                           "01", "1.", ".5", "-", "1e", "+1", "tru", "nul", "[1 2]", R"(["a)", R"(["\x"])",
                           R"(["\u12"])", R"(["\ud800"])", R"(["\udc00"])", R"(["\ud800\u0041"])", "[\"\x01\"]",
                           "[\"\xC3\"]", "[\"\xC0\xAF\"]", "[\"\xED\xA0\x80\"]", "[\"\xF4\x90\x80\x80\"]", "[\xC3\xA9]",
                           "\xEF\xBB\xBF{}", "[1]]", "{\"a\":1}}"}) {
    const auto check = check_json(text);
    EXPECT_FALSE(check) << text;
  }
}

TEST(ProxyJsonCheck, LongStringsAreScannedWordByWordExactly) {
  // Whatever its position in an 8-byte word, a quote ends the string, an
  // escape is checked and a control character is refused.
  for (std::size_t k = 0; k < 24; ++k) {
    const std::string run(k, 'a');
    EXPECT_TRUE(check_json("[\"" + run + "\",\"" + run + "\"]")) << k;
    EXPECT_TRUE(check_json("[\"" + run + "\\n\\\"\u00e9\xC3\xA9" + run + "\"]")) << k;
    EXPECT_FALSE(check_json("[\"" + run + "\x1f" + run + "\"]")) << k;
    EXPECT_FALSE(check_json("[\"" + run + "\\x" + run + "\"]")) << k;
    EXPECT_FALSE(check_json("[\"" + run + "\"" + run + "\"]")) << k;  // a quote too many
    EXPECT_FALSE(check_json("[\"" + run)) << k;
    const auto bad = check_json("[\"" + run + "\xC3\"]");
    EXPECT_EQ(bad.fault, JsonFault::kSyntax) << k;
    EXPECT_EQ(bad.offset, 2 + k) << k;
  }
}

TEST(ProxyJsonCheck, NumbersMustBeFiniteAsDoubles) {
  // Found by fuzzing: 21e400 passed the summary and failed nlohmann's parse
  // in the rewrite ("number overflow").
  for (const std::string& text : {std::string("1e400"), std::string("-1e400"), std::string("[21e400]"),
                                  std::string("1.8e308"), std::string("1e99999999999999999999"), std::string(400, '9'),
                                  "0." + std::string(10, '0') + "1e420"}) {
    EXPECT_FALSE(check_json(text)) << text;
  }
  for (const std::string& text : {std::string("1e-400"), std::string("0e99999999999"), std::string("0.000e500"),
                                  std::string("1.7976931348623157e308"), std::string("123456789e-300"),
                                  std::string(300, '9'), "0." + std::string(10, '0') + "1e318"}) {
    EXPECT_TRUE(check_json(text)) << text;
  }
}

TEST(ProxyJsonCheck, NamesDepthAndTrailingContent) {
  EXPECT_EQ(check_json(nested(kMaxJsonDepth + 1)).fault, JsonFault::kTooDeep);
  EXPECT_EQ(check_json(nested(3, '{', '}'), 2).fault, JsonFault::kSyntax);  // `{{` is not JSON anyway
  EXPECT_EQ(check_json(R"({"a":{"b":{}}})", 2).fault, JsonFault::kTooDeep);
  EXPECT_TRUE(check_json(R"({"a":{"b":1}})", 2));
  const auto trailing = check_json(R"({"a":1} {"b":2})");
  EXPECT_EQ(trailing.fault, JsonFault::kTrailing);
  EXPECT_EQ(trailing.offset, 8u);
  EXPECT_EQ(check_json("{} x").fault, JsonFault::kTrailing);
}

TEST(ProxyJsonCheck, AMillionBracketsNeitherRecursesNorTakesLong) {
  const std::string deep = nested(1'000'000);
  const auto started = std::chrono::steady_clock::now();
  EXPECT_EQ(check_json(deep).fault, JsonFault::kTooDeep);
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(1));
}

// -------------------------------------------------------------- summary ----

TEST(ProxyHostileBody, NestingInAFieldTheSummaryDoesNotReadIsRefused) {
  // A million brackets in an unread field plus cache_salt crashed the
  // gateway in the body rewrite (SIGSEGV).
  const std::string body =
      R"({"model":"m",)" + kMessages + R"(,"cache_salt":"x","metadata":)" + nested(1'000'000) + "}";
  auto s = summarize_request(body, ApiKind::kChat);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, ErrorCode::kInvalidJson);
  EXPECT_EQ(core::http_status(s.error()), 400);
  EXPECT_NE(s.error().message.find("deeper than"), std::string::npos) << s.error().message;
}

TEST(ProxyHostileBody, DepthUpToTheBoundIsServed) {
  // The body itself is depth 1; the field may nest kMaxJsonDepth - 1 levels.
  const std::string ok = R"({"model":"m",)" + kMessages + R"(,"x":)" + nested(kMaxJsonDepth - 1) + "}";
  EXPECT_TRUE(summarize_request(ok, ApiKind::kChat));
  const std::string deep = R"({"model":"m",)" + kMessages + R"(,"x":)" + nested(kMaxJsonDepth) + "}";
  EXPECT_FALSE(summarize_request(deep, ApiKind::kChat));
}

TEST(ProxyHostileBody, TrailingContentIsRefused) {
  // The rewrite appended the tenant's cache_salt after the last `}`, i.e.
  // outside the object: the request was served without it.
  for (const std::string& tail : {std::string(R"( {"cache_salt":"evil"})"), std::string("}"), std::string(" x"),
                                 std::string("\0", 1)}) {
    const std::string body = R"({"model":"m",)" + kMessages + "}" + tail;
    auto s = summarize_request(body, ApiKind::kChat);
    ASSERT_FALSE(s) << body;
    EXPECT_EQ(s.error().code, ErrorCode::kInvalidJson) << body;
  }
  EXPECT_TRUE(summarize_request(R"({"model":"m",)" + kMessages + "} \r\n\t", ApiKind::kChat));
}

TEST(ProxyHostileBody, MalformedUnreadFieldsAreRefused) {
  // simdjson's on-demand pass skips fields it does not read; nlohmann's
  // rewrite then threw and the client got no response at all.
  for (const char* field : {R"("x":21e400)", R"("x":[1,,2])", R"("x":{"a"})", R"("x":tru)", R"("x":"\q")", R"("x":01)",
                                  R"("x":"\ud800")", "\"x\":\"\xff\"", R"("x":[}])"}) {
    const std::string body = R"({"model":"m",)" + kMessages + R"(,"cache_salt":"s",)" + field + "}";
    auto s = summarize_request(body, ApiKind::kChat);
    ASSERT_FALSE(s) << body;
    EXPECT_EQ(s.error().code, ErrorCode::kInvalidJson) << body;
  }
}

TEST(ProxyHostileBody, MinTokensMustBeANonNegativeInteger) {
  for (const char* value : {"-1", "-9223372036854775808", "1.5", "\"3\"", "99999999999999999999"}) {
    const std::string body = R"({"model":"m","prompt":"p","min_tokens":)" + std::string(value) + "}";
    auto s = summarize_request(body, ApiKind::kCompletion);
    ASSERT_FALSE(s) << body;
    EXPECT_EQ(s.error().param, "min_tokens") << body;
  }
  EXPECT_TRUE(summarize_request(R"({"model":"m","prompt":"p","min_tokens":4})", ApiKind::kCompletion));
  EXPECT_TRUE(summarize_request(R"({"model":"m","prompt":"p","min_tokens":null})", ApiKind::kCompletion));
}

// -------------------------------------------------------------- rewrite ----

TEST(ProxyHostileBody, RewriteAnswersErrorsInsteadOfThrowing) {
  RequestSummary salted;
  salted.model = "m";
  salted.has_cache_salt = true;
  for (const std::string& body : {std::string("{\"model\":\"m\",\"x\":[1,,2]}"), std::string("[1,2]"), std::string("{} {}"),
                                 R"({"x":)" + nested(1'000'000) + "}", std::string("")}) {
    auto built = build_upstream_body(body, salted, {"up", "salt"});
    ASSERT_FALSE(built) << body.substr(0, 40);
    EXPECT_EQ(built.error().code, ErrorCode::kInvalidJson);
  }
  RequestSummary plain;  // the fast path
  plain.model = "m";
  plain.model_value_offset = 500;  // past the body: a summary of another body
  plain.model_value_length = 3;
  EXPECT_FALSE(build_upstream_body(R"({"model":"m"})", plain, {"up", ""}));
  EXPECT_FALSE(build_upstream_body("no object", RequestSummary{}, {"", "salt"}));
}

TEST(ProxyHostileBody, EveryAcceptedBodyRewritesToAnObjectWithTheTenantsSalt) {
  for (const std::string& body : {R"({"model":"m",)" + kMessages + "}", R"({"model":"m",)" + kMessages + R"(,"cache_salt":"evil"})",
                                 R"({"model":"m","stream":true,"stream_options":{"include_usage":false},)" + kMessages + "}",
                                 "{\"model\":\"m\"," + kMessages + ",\"x\":\"\xC3\xA9\\u00e9\"}\n"}) {
    auto s = summarize_request(body, ApiKind::kChat);
    ASSERT_TRUE(s) << body;
    auto built = build_upstream_body(body, *s, {"up", "ours"});
    ASSERT_TRUE(built) << body;
    const json j = json::parse(*built);
    EXPECT_EQ(j["cache_salt"], "ours") << *built;
    EXPECT_EQ(j["model"], "up") << *built;
  }
}

// ------------------------------------------------------- continuation ----

TEST(ProxyHostileContinuation, MinTokensAtInt64MinDoesNotOverflow) {
  const std::string body = R"({"prompt":"p","max_tokens":100,"min_tokens":-9223372036854775808})";
  auto built = build_continuation_body(body, ApiKind::kCompletion, " x", 5);
  ASSERT_TRUE(built);
  EXPECT_EQ(json::parse(built->body)["min_tokens"], 0);
  EXPECT_EQ(json::parse(built->body)["max_tokens"], 95);
}

TEST(ProxyHostileContinuation, MaxTokensAtTheEdgesOfInt64) {
  auto low = build_continuation_body(R"({"prompt":"p","max_tokens":-9223372036854775808})", ApiKind::kCompletion, " x", 5);
  ASSERT_TRUE(low);
  EXPECT_TRUE(low->max_tokens_reached);
  auto high = build_continuation_body(R"({"prompt":"p","max_tokens":18446744073709551615})", ApiKind::kCompletion, " x", 5);
  ASSERT_TRUE(high);
  EXPECT_FALSE(high->max_tokens_reached);
  EXPECT_EQ(json::parse(high->body)["max_tokens"], std::numeric_limits<std::int64_t>::max() - 5);
}

StreamTranscript one_token_stream() {
  StreamTranscript t;
  t.record(R"({"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":" a"},"finish_reason":null}]})");
  return t;
}

std::string usage_chunk_with(std::string_view completion) {
  return R"({"id":"c2","object":"chat.completion.chunk","created":2,"model":"m","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":)" +
         std::string(completion) + R"(,"total_tokens":5}})";
}

TEST(ProxyHostileContinuation, SplicerClampsAnEnginesUsage) {
  const StreamSplicer splicer(one_token_stream(), 7, 20);
  struct Case {
    const char* completion;
    std::int64_t expected;
  };
  for (const Case& c : {Case{"9223372036854775807", 7 + kMaxUsageTokens}, Case{"-5", 7},
                       Case{"18446744073709551615", 7 + kMaxUsageTokens}, Case{"4", 11}}) {
    const auto spliced = splicer.splice(usage_chunk_with(c.completion));
    ASSERT_TRUE(spliced) << c.completion;
    const json u = json::parse(*spliced)["usage"];
    EXPECT_EQ(u["completion_tokens"], c.expected) << c.completion;
    EXPECT_EQ(u["total_tokens"], 20 + c.expected) << c.completion;
  }
  // The gateway's own counts are clamped too.
  const StreamSplicer huge(one_token_stream(), std::numeric_limits<std::int64_t>::max(),
                           std::numeric_limits<std::int64_t>::max());
  const auto spliced = huge.splice(usage_chunk_with("9223372036854775807"));
  ASSERT_TRUE(spliced);
  EXPECT_EQ(json::parse(*spliced)["usage"]["total_tokens"], 3 * kMaxUsageTokens);
}

TEST(ProxyHostileContinuation, SplicerPassesADeepChunkUnparsed) {
  const std::string deep = R"({"id":"c2","choices":)" + nested(1'000'000) + "}";
  const StreamSplicer splicer(one_token_stream(), 1, 2);
  const auto spliced = splicer.splice(deep);
  ASSERT_TRUE(spliced);
  EXPECT_EQ(spliced->size(), deep.size());
}

TEST(ProxyHostileContinuation, ContinuationOfADeepBodyIsRefused) {
  const std::string body = R"({"prompt":"p","x":)" + nested(1'000'000) + "}";
  auto built = build_continuation_body(body, ApiKind::kCompletion, " x", 1);
  ASSERT_FALSE(built);
  EXPECT_EQ(built.error(), ContinuationRefusal::kUnsupportedRequest);
}

// ------------------------------------------------------------------ usage ----

TEST(ProxyHostileUsage, EngineUsageIsClampedIntoRange) {
  struct Case {
    const char* value;
    std::int64_t expected;
  };
  for (const Case& c : {Case{"-5", 0}, Case{"-9223372036854775808", 0}, Case{"9223372036854775807", kMaxUsageTokens},
                       Case{"18446744073709551615", kMaxUsageTokens}, Case{"1e300", kMaxUsageTokens},
                       Case{"-1e300", 0}, Case{"12.7", 12}, Case{"99999999999999999999999", kMaxUsageTokens},
                       Case{"-99999999999999999999999", 0}, Case{"42", 42}}) {
    const std::string body = std::string(R"({"choices":[],"usage":{"prompt_tokens":)") + c.value +
                             R"(,"completion_tokens":)" + c.value + "}}";
    const auto usage = extract_usage(body);
    ASSERT_TRUE(usage) << c.value;
    EXPECT_EQ(usage->prompt_tokens, c.expected) << c.value;
    EXPECT_EQ(usage->completion_tokens, c.expected) << c.value;
  }
  const auto text = extract_usage(R"({"usage":{"prompt_tokens":"7","completion_tokens":null}})");
  ASSERT_TRUE(text);
  EXPECT_EQ(text->prompt_tokens, 0);
  EXPECT_EQ(text->completion_tokens, 0);
}

// -------------------------------------------------------------------- SSE ----

TEST(ProxyHostileSse, AnEventWithoutAnEndOverflows) {
  SseParser p;
  const std::string first = "data: {\"a\":1}\n\n";
  const auto& events = p.feed(first + std::string(kMaxSseEventBytes, 'x'));
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].data, "{\"a\":1}");
  EXPECT_FALSE(p.overflowed());
  EXPECT_TRUE(p.feed("y").empty());
  EXPECT_TRUE(p.overflowed());
  EXPECT_TRUE(p.feed("\n\ndata: 2\n\n").empty());  // a broken stream stays broken
  EXPECT_EQ(p.pending(), 0u);
}

TEST(ProxyHostileSse, AnEventUpToTheCapIsRelayed) {
  SseParser p;
  const std::string data(kMaxSseEventBytes - 8, 'x');
  EXPECT_TRUE(p.feed("data: " + data).empty());
  const auto& events = p.feed("\n\n");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].data.size(), data.size());
  EXPECT_FALSE(p.overflowed());
}

TEST(ProxyHostileSse, BytesAreScannedOnceHoweverTheStreamIsCut) {
  // 16 MiB without an event's end took 8.5 s: each read rescanned the
  // buffer. 1 MiB in 64-byte reads rescans 8 GiB the old way.
  SseParser p;
  const std::string piece(64, 'x');
  const auto started = std::chrono::steady_clock::now();
  p.feed("data: ");
  for (std::size_t sent = 0; sent + piece.size() < kMaxSseEventBytes - 64; sent += piece.size()) {
    ASSERT_TRUE(p.feed(piece).empty());
  }
  const auto& events = p.feed("\r\n\r\n");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(1));
}

TEST(ProxyHostileSse, EndsSplitAcrossFeedsAreFound) {
  const std::string stream = "data: 1\n\r\ndata: 2\r\n\r\ndata: 3\n\n";
  for (std::size_t a = 1; a < stream.size(); ++a) {
    for (std::size_t b = a; b < stream.size(); ++b) {
      SseParser p;
      std::vector<std::string> data;
      for (const auto& e : p.feed(std::string_view(stream).substr(0, a))) data.emplace_back(e.data);
      for (const auto& e : p.feed(std::string_view(stream).substr(a, b - a))) data.emplace_back(e.data);
      for (const auto& e : p.feed(std::string_view(stream).substr(b))) data.emplace_back(e.data);
      ASSERT_EQ(data, (std::vector<std::string>{"1", "2", "3"})) << a << " " << b;
    }
  }
}

}  // namespace
}  // namespace sluice::proxy
