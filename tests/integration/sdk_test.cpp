// The official OpenAI Node SDK against a real gateway (tests/sdk/sdk_smoke.mjs).
// Skipped when the SDK is not installed: `npm ci --prefix tests/sdk`.
#include <filesystem>

#include "harness.h"

namespace sluice::itest {
namespace {

TEST(SdkTest, OfficialOpenAiNodeSdkWorksAgainstTheGateway) {
  const std::string sdk_dir = std::string(SLUICE_SOURCE_DIR) + "/tests/sdk";
  if (!std::filesystem::exists(sdk_dir + "/node_modules/openai/package.json")) {
    GTEST_SKIP() << "the OpenAI SDK is not installed; run `npm ci --prefix tests/sdk`";
  }
  if (run_command({"node", "--version"}, 10000ms).exit_code != 0) GTEST_SKIP() << "node is not on PATH";

  Gateway gateway(make_config("upstream_timeout: 5s, shutdown_grace: 1s",
                              "  - name: small\n"
                              "    source: sim\n"
                              "    sim: {instances: 1, profile: instant}\n"
                              "  - name: short\n"
                              "    source: sim\n"
                              "    sim: {instances: 1, profile: instant}\n"
                              "    max_model_len: 4096\n"));
  ASSERT_TRUE(gateway.start()) << gateway.error();
  const auto result =
      run_command({"node", sdk_dir + "/sdk_smoke.mjs"}, 60000ms,
                  {{"SLUICE_BASE_URL", "http://127.0.0.1:" + std::to_string(gateway.api_port()) + "/v1"},
                   {"SLUICE_CONTEXT_MODEL", "short"}},
                  sdk_dir);
  EXPECT_FALSE(result.timed_out);
  EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
  EXPECT_NE(result.out.find("sdk smoke: all passed"), std::string::npos) << result.out << result.err;
  EXPECT_EQ(gateway.stop(), 0);
}

}  // namespace
}  // namespace sluice::itest
