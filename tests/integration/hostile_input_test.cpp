// Inputs found by fuzzing that crashed the release gateway or made it answer
// nothing: each must get an OpenAI-shaped 4xx, and the gateway must serve
// the next request. Any client can send them (some without an API key).
#include "harness.h"

namespace sluice::itest {
namespace {

class HostileInputTest : public SharedGatewayTest<HostileInputTest> {
 public:  // config() is read by SharedGatewayTest
  static std::string config() {
    return make_config("shutdown_grace: 1s",
                       "  - name: small\n"
                       "    source: sim\n"
                       "    sim: {instances: 1, profile: instant}\n"
                       "routes:\n"
                       "  - name: by-user\n"
                       "    match: {headers: [{name: x-user, regex: '(\\w|-)+'}]}\n"
                       "    model: small\n");
  }
};

const std::vector<Header> kAuth{{"Authorization", "Bearer sk-demo-acme"}};

/// The access-log line (stdout, one JSON object a line) with that request id.
Json access_line(const Gateway& gateway, const std::string& request_id) {
  Json found;
  wait_until(
      [&] {
        const std::string out = gateway.stdout_text();
        for (std::size_t pos = 0, eol; (eol = out.find('\n', pos)) != std::string::npos; pos = eol + 1) {
          Json line = Json::parse(out.substr(pos, eol - pos), nullptr, false);
          if (line.is_object() && line.value("request_id", "") == request_id) {
            found = std::move(line);
            return true;
          }
        }
        return false;
      },
      5000ms);
  return found;
}

TEST_F(HostileInputTest, AMillionNestedBracketsWithCacheSaltIs400) {
  // 2 MB, under the 4 MiB body limit; the brackets sit in a field the
  // request summary does not read, and cache_salt sends the body through
  // the rewrite, which recursed once per level (SIGSEGV).
  const std::string body = R"({"model":"small","messages":[{"role":"user","content":"hi"}],"cache_salt":"x","metadata":)" +
                           std::string(1'000'000, '[') + std::string(1'000'000, ']') + "}";
  const Response res = request(api(), "POST", "/v1/chat/completions", body, kAuth, 20000ms);
  EXPECT_TRUE(is_openai_error(res, 400, "invalid_json"));
  expect_still_serving();
}

TEST_F(HostileInputTest, MalformedOrTrailingJsonIs400) {
  const std::string messages = R"("messages":[{"role":"user","content":"hi"}])";
  for (const std::string& body : {R"({"model":"small",)" + messages + R"(,"cache_salt":"x","x":[1,,2]})",
                                 R"({"model":"small",)" + messages + R"(} {"cache_salt":"evil"})"}) {
    SCOPED_TRACE(body);
    EXPECT_TRUE(is_openai_error(request(api(), "POST", "/v1/chat/completions", body, kAuth), 400, "invalid_json"));
  }
  expect_still_serving();
}

TEST_F(HostileInputTest, ALongHeaderAgainstAHeaderRegexRouteIsServed) {
  // std::regex recursed per character: 12,000 bytes overflowed the stack.
  const std::vector<Header> headers{{"Authorization", "Bearer sk-demo-acme"}, {"x-user", std::string(12'000, 'a')}};
  const Response res =
      request(api(), "POST", "/v1/chat/completions", chat_body("routed", "hello", 3).dump(), headers, 10000ms);
  EXPECT_EQ(res.status, 200) << res.error << res.body;
  expect_still_serving();
}

TEST_F(HostileInputTest, BytesThatAreNotUtf8InThePathOrPriorityGetAJsonError) {
  // No API key needed for the 404: the error body quoting the path threw.
  EXPECT_TRUE(is_openai_error(request(api(), "GET", "/v1/\xff\xfe\xc3(", {}, {{"X-Request-Id", "hostile-path-1"}}),
                              404, "not_found"));
  const Json line = access_line(*gateway_, "hostile-path-1");
  ASSERT_TRUE(line.is_object()) << "no access-log line (valid JSON) for the request; stdout:\n" << gateway_->stdout_text();
  EXPECT_EQ(line["status"], 404);
  const std::vector<Header> priority{{"Authorization", "Bearer sk-demo-acme"}, {"x-sluice-priority", "\xff\xfe"}};
  EXPECT_TRUE(is_openai_error(
      request(api(), "POST", "/v1/chat/completions", chat_body("small", "hello", 3).dump(), priority), 400,
      "invalid_request"));
  expect_still_serving();
}

}  // namespace
}  // namespace sluice::itest
