// The gateway salts every upstream request per tenant, so two tenants never
// share engine prefix-cache entries, even when a client sends a salt itself.
#include <random>

#include "harness.h"

namespace sluice::itest {
namespace {

/// A prompt of about `bytes` bytes that no other run has sent.
std::string unique_prompt(std::size_t bytes) {
  static std::mt19937_64 rng(std::random_device{}());
  std::string out = "itest-" + std::to_string(rng()) + ":";
  for (int i = 0; out.size() < bytes; ++i) out += " sentence " + std::to_string(i) + " of a long shared prefix.";
  return out;
}

int cached_tokens(const Response& res) {
  const Json doc = res.json();
  if (!doc.is_object() || !doc.contains("usage")) return -1;
  return doc["usage"]["prompt_tokens_details"].value("cached_tokens", -1);
}

class PrefixCacheTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    gateway_ = std::make_unique<Gateway>(make_config("upstream_timeout: 5s, shutdown_grace: 1s",
                                                     "  - name: small\n"
                                                     "    source: sim\n"
                                                     "    sim: {instances: 1, profile: instant}\n"));
    started_ = gateway_->start();
  }
  static void TearDownTestSuite() { gateway_.reset(); }
  void SetUp() override { ASSERT_TRUE(started_) << gateway_->error(); }

  Response send(std::string_view key, const std::string& prompt, std::optional<std::string> salt = std::nullopt) {
    Json body = chat_body("small", prompt, 2);
    if (salt) body["cache_salt"] = *salt;
    return post_json(gateway_->api_port(), "/v1/chat/completions", body, key);
  }

  static std::unique_ptr<Gateway> gateway_;
  static bool started_;
};

std::unique_ptr<Gateway> PrefixCacheTest::gateway_;
bool PrefixCacheTest::started_ = false;

TEST_F(PrefixCacheTest, TenantsDoNotShareCacheEntries) {
  const std::string prompt = unique_prompt(3000);
  const Response first = send(kAcmeKey, prompt);
  ASSERT_EQ(first.status, 200) << first.body;
  EXPECT_EQ(cached_tokens(first), 0);
  const Response again = send(kAcmeKey, prompt);
  ASSERT_EQ(again.status, 200);
  EXPECT_GT(cached_tokens(again), 0) << "the same tenant's repeated prompt must hit the prefix cache: " << again.body;

  const Response other = send(kGlobexKey, prompt);
  ASSERT_EQ(other.status, 200);
  EXPECT_EQ(cached_tokens(other), 0) << "globex hit acme's prefix-cache entry: " << other.body;
  const Response other_again = send(kGlobexKey, prompt);
  EXPECT_GT(cached_tokens(other_again), 0) << "globex's own entry must be reused";
}

TEST_F(PrefixCacheTest, ClientSuppliedSaltIsReplaced) {
  const std::string prompt = unique_prompt(2500);
  // Both tenants send the same salt: passed through, globex would share acme's entry.
  const Response acme = send(kAcmeKey, prompt, "shared-salt");
  ASSERT_EQ(acme.status, 200) << acme.body;
  const Response acme_again = send(kAcmeKey, prompt, "shared-salt");
  EXPECT_GT(cached_tokens(acme_again), 0);
  const Response globex = send(kGlobexKey, prompt, "shared-salt");
  ASSERT_EQ(globex.status, 200) << globex.body;
  EXPECT_EQ(cached_tokens(globex), 0) << "a client-sent cache_salt crossed tenants";
  // acme's entry does not depend on the salt acme sent.
  const Response acme_unsalted = send(kAcmeKey, prompt);
  EXPECT_GT(cached_tokens(acme_unsalted), 0) << "the client's salt was not dropped";
}

}  // namespace
}  // namespace sluice::itest
