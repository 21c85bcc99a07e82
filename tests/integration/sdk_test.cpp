// The official OpenAI Node SDK (tests/sdk/sdk_smoke.mjs) and Python SDK
// (tests/sdk/sdk_smoke.py) against a real gateway. Each is skipped when its SDK
// is not installed: `scripts/install-deps.sh --test` installs both (npm ci into
// tests/sdk/node_modules, a venv with the pinned `openai` at tests/sdk/.venv).
#include <filesystem>

#include <fmt/format.h>

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

TEST(SdkTest, OfficialOpenAiPythonSdkWorksAgainstTheGateway) {
  const std::string sdk_dir = std::string(SLUICE_SOURCE_DIR) + "/tests/sdk";
  const std::string python = sdk_dir + "/.venv/bin/python";
  if (!std::filesystem::exists(python) ||
      run_command({python, "-c", "import openai"}, 30000ms).exit_code != 0) {
    GTEST_SKIP() << "the OpenAI Python SDK is not installed in tests/sdk/.venv; run `scripts/install-deps.sh --test`";
  }
  // A third tenant with rpm 1 (key sk-py-limited) for the SDK's RateLimitError.
  const std::string config = fmt::format(
      "listen: {{api: 127.0.0.1:0, admin: 127.0.0.1:0}}\n"
      "{}server: {{upstream_timeout: 5s, shutdown_grace: 1s}}\n{}"
      "  - id: limited\n"
      "    api_keys: [sha256:ae29537a82444b38b0a79fd20b12da5f5cf341c2a4c99cf4cba865c146e07456]\n"
      "    models: [\"*\"]\n"
      "    limits: {{rpm: 1}}\n"
      "models:\n"
      "  - name: small\n"
      "    source: sim\n"
      "    sim: {{instances: 1, profile: instant}}\n",
      admin_yaml(), demo_tenants_yaml());
  Gateway gateway(config);
  ASSERT_TRUE(gateway.start()) << gateway.error();
  const auto result =
      run_command({python, sdk_dir + "/sdk_smoke.py"}, 60000ms,
                  {{"SLUICE_BASE_URL", "http://127.0.0.1:" + std::to_string(gateway.api_port()) + "/v1"},
                   {"SLUICE_LIMITED_KEY", "sk-py-limited"}},
                  sdk_dir);
  EXPECT_FALSE(result.timed_out);
  EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
  EXPECT_NE(result.out.find("second request at rpm 1 raises RateLimitError 429"), std::string::npos)
      << result.out << result.err;
  EXPECT_NE(result.out.find("all passed"), std::string::npos) << result.out << result.err;
  EXPECT_EQ(gateway.stop(), 0);
}

}  // namespace
}  // namespace sluice::itest
