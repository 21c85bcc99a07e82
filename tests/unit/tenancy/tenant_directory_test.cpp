#include "sluice/tenancy/tenant_directory.h"

#include <gtest/gtest.h>

#include "sluice/config/api_key_hash.h"

namespace sluice::tenancy {
namespace {

config::Config two_tenants() {
  config::Config cfg;
  config::Tenant acme;
  acme.id = "acme";
  acme.api_keys.push_back({config::sha256_hex("sk-acme-1"), "sha256"});
  acme.api_keys.push_back({config::sha256_hex("sk-acme-2"), "sha256"});
  acme.models = {"*"};
  config::Tenant globex;
  globex.id = "globex";
  globex.display_name = "Globex Inc";
  globex.api_keys.push_back({config::sha256_hex("sk-globex"), "sha256"});
  globex.models = {"small", "tiny"};
  cfg.tenants = {acme, globex};
  return cfg;
}

TEST(TenancyDirectory, EveryKeyFindsItsTenant) {
  const TenantDirectory dir(two_tenants(), "secret");
  ASSERT_NE(dir.authenticate("sk-acme-1"), nullptr);
  EXPECT_EQ(dir.authenticate("sk-acme-1")->id.str(), "acme");
  EXPECT_EQ(dir.authenticate("sk-acme-2")->id.str(), "acme");
  EXPECT_EQ(dir.authenticate("sk-globex")->id.str(), "globex");
  EXPECT_EQ(dir.authenticate("sk-globex")->display_name, "Globex Inc");
  EXPECT_EQ(dir.authenticate("sk-acme-1")->display_name, "acme");  // defaults to the id
}

TEST(TenancyDirectory, UnknownOrEmptyKeyIsRejected) {
  const TenantDirectory dir(two_tenants(), "secret");
  EXPECT_EQ(dir.authenticate(""), nullptr);
  EXPECT_EQ(dir.authenticate("sk-acme-3"), nullptr);
  EXPECT_EQ(dir.authenticate("sk-acme-1 "), nullptr);
}

TEST(TenancyDirectory, ModelAccess) {
  const TenantDirectory dir(two_tenants(), "secret");
  const TenantEntry& acme = *dir.authenticate("sk-acme-1");
  const TenantEntry& globex = *dir.authenticate("sk-globex");
  EXPECT_TRUE(dir.may_use(acme, "anything"));
  EXPECT_TRUE(dir.may_use(globex, "small"));
  EXPECT_TRUE(dir.may_use(globex, "tiny"));
  EXPECT_FALSE(dir.may_use(globex, "big"));
  EXPECT_FALSE(dir.may_use(globex, "smal"));
}

TEST(TenancyDirectory, CacheSaltsDifferPerTenantAndSecret) {
  const TenantDirectory a(two_tenants(), "secret");
  const TenantDirectory b(two_tenants(), "other-secret");
  const auto& acme = a.tenants()[0];
  const auto& globex = a.tenants()[1];
  EXPECT_EQ(acme.cache_salt.size(), 32u);
  EXPECT_NE(acme.cache_salt, globex.cache_salt);
  EXPECT_NE(acme.cache_salt, b.tenants()[0].cache_salt);
  EXPECT_EQ(acme.cache_salt, derive_cache_salt("secret", "acme"));  // stable for a secret
}

TEST(TenancyDirectory, DigestMatchesConfigHash) {
  KeyDigest parsed{};
  ASSERT_TRUE(parse_digest_hex(config::sha256_hex("abc"), parsed));
  EXPECT_EQ(parsed, digest_key("abc"));
  EXPECT_FALSE(parse_digest_hex("zz", parsed));
}

TEST(TenancyBearer, ParsesSchemeCaseInsensitively) {
  EXPECT_EQ(bearer_token("Bearer sk-1"), "sk-1");
  EXPECT_EQ(bearer_token("bearer   sk-1 "), "sk-1");
  EXPECT_EQ(bearer_token("BEARER sk-1"), "sk-1");
  EXPECT_EQ(bearer_token("Basic dXNlcjpwYXNz"), "");
  EXPECT_EQ(bearer_token("Bearer"), "");
  EXPECT_EQ(bearer_token(""), "");
}

}  // namespace
}  // namespace sluice::tenancy
