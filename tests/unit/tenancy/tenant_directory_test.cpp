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
  ASSERT_NE(dir.authenticate("sk-acme-1", 0), nullptr);
  EXPECT_EQ(dir.authenticate("sk-acme-1", 0)->id.str(), "acme");
  EXPECT_EQ(dir.authenticate("sk-acme-2", 0)->id.str(), "acme");
  EXPECT_EQ(dir.authenticate("sk-globex", 0)->id.str(), "globex");
  EXPECT_EQ(dir.authenticate("sk-globex", 0)->display_name, "Globex Inc");
  EXPECT_EQ(dir.authenticate("sk-acme-1", 0)->display_name, "acme");  // defaults to the id
}

TEST(TenancyDirectory, UnknownOrEmptyKeyIsRejected) {
  const TenantDirectory dir(two_tenants(), "secret");
  EXPECT_EQ(dir.authenticate("", 0), nullptr);
  EXPECT_EQ(dir.authenticate("sk-acme-3", 0), nullptr);
  EXPECT_EQ(dir.authenticate("sk-acme-1 ", 0), nullptr);
}

TEST(TenancyDirectory, ModelAccess) {
  const TenantDirectory dir(two_tenants(), "secret");
  const TenantEntry& acme = *dir.authenticate("sk-acme-1", 0);
  const TenantEntry& globex = *dir.authenticate("sk-globex", 0);
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

TEST(TenancyDirectory, AKeyIsRefusedFromItsExpiryOnAndNamesItself) {
  config::Config cfg = two_tenants();
  config::ApiKey rotated{config::sha256_hex("sk-old"), "store", "key_old", /*expires_at_ms=*/1000, {}};
  cfg.tenants[0].api_keys.push_back(rotated);
  const TenantDirectory dir(cfg, "secret");
  const Caller before = dir.identify("sk-old", 999);
  ASSERT_NE(before.tenant, nullptr);
  EXPECT_EQ(before.tenant->id.str(), "acme");
  ASSERT_NE(before.key, nullptr);
  EXPECT_EQ(before.key->id, "key_old");
  const Caller after = dir.identify("sk-old", 1000);
  EXPECT_EQ(after.tenant, nullptr);
  EXPECT_TRUE(after.expired);
  EXPECT_FALSE(dir.identify("sk-acme-1", 1'000'000'000'000).expired);  // YAML keys never expire
  EXPECT_EQ(dir.identify("sk-nobody", 0).key, nullptr);
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
