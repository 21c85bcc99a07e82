#include "sluice/proxy/upstream_body.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace sluice::proxy {
namespace {

nlohmann::json edit(const std::string& body, std::string_view model, std::string_view salt) {
  auto summary = summarize_request(body, ApiKind::kChat);
  EXPECT_TRUE(summary);
  auto built = build_upstream_body(body, *summary, {model, salt});
  EXPECT_TRUE(built) << built.error().message;
  return nlohmann::json::parse(*built);
}

const std::string kMessages = R"("messages":[{"role":"user","content":"hi"}])";

TEST(ProxyUpstreamBody, FastPathAddsSaltAndUsageForStreams) {
  auto j = edit(R"({"model":"m","stream":true,)" + kMessages + "}", "", "salt1");
  EXPECT_EQ(j["model"], "m");
  EXPECT_EQ(j["cache_salt"], "salt1");
  EXPECT_EQ(j["stream_options"]["include_usage"], true);
  EXPECT_EQ(j["messages"][0]["content"], "hi");
}

TEST(ProxyUpstreamBody, NonStreamGetsNoStreamOptions) {
  auto j = edit(R"({"model":"m",)" + kMessages + "}", "", "salt1");
  EXPECT_FALSE(j.contains("stream_options"));
  EXPECT_EQ(j["cache_salt"], "salt1");
}

TEST(ProxyUpstreamBody, ModelIsRenamedInPlace) {
  auto j = edit(R"({ "model" : "m" , )" + kMessages + " }\n", "org/Model-\"8B\"", "");
  EXPECT_EQ(j["model"], "org/Model-\"8B\"");
  EXPECT_FALSE(j.contains("cache_salt"));
}

TEST(ProxyUpstreamBody, ClientSaltIsReplaced) {
  auto j = edit(R"({"model":"m","cache_salt":"evil",)" + kMessages + "}", "", "ours");
  EXPECT_EQ(j["cache_salt"], "ours");
}

TEST(ProxyUpstreamBody, ClientSaltIsDroppedWhenSaltingIsOff) {
  auto j = edit(R"({"model":"m","cache_salt":"evil",)" + kMessages + "}", "", "");
  EXPECT_FALSE(j.contains("cache_salt"));
}

TEST(ProxyUpstreamBody, StreamOptionsWithoutUsageAreForcedOn) {
  auto j = edit(R"({"model":"m","stream":true,"stream_options":{"include_usage":false},)" + kMessages + "}", "up", "s");
  EXPECT_EQ(j["stream_options"]["include_usage"], true);
  EXPECT_EQ(j["model"], "up");
}

TEST(ProxyUpstreamBody, StreamOptionsAlreadyOnAreKept) {
  const std::string body = R"({"model":"m","stream":true,"stream_options":{"include_usage":true},)" + kMessages + "}";
  auto j = edit(body, "", "");
  EXPECT_EQ(j["stream_options"]["include_usage"], true);
}

}  // namespace
}  // namespace sluice::proxy
