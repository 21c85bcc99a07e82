// The store contract on SQLite (in memory and on disk), migrations, and the
// JSON shape of tenants.
#include <gtest/gtest.h>

#include <filesystem>

#include "../../support/store_contract.h"
#include "sluice/store/migrations.h"
#include "sluice/store/tenant_json.h"
#include "sluice/store/tenant_loader.h"

namespace sluice::store {
namespace {

std::unique_ptr<Store> memory_store() {
  auto s = Store::open(config::StoreConfig{.url = "sqlite::memory:"}, "");
  EXPECT_TRUE(s) << (s ? "" : s.error().message);
  return s ? std::move(*s) : nullptr;
}

TEST(StoreSqlite, TenantsRoundTrip) { contract::tenants_round_trip(*memory_store()); }
TEST(StoreSqlite, KeysIssueRotateRevoke) { contract::keys_issue_rotate_revoke(*memory_store()); }
TEST(StoreSqlite, UsageLedgerAndRollups) { contract::usage_ledger_and_rollups(*memory_store()); }
TEST(StoreSqlite, HostileTextIsData) { contract::hostile_text_is_data(*memory_store()); }
TEST(StoreSqlite, AdminTokensAndAudit) { contract::admin_tokens_and_audit(*memory_store()); }

TEST(StoreSqlite, AFileIsCreatedMigratedOnceAndANewerSchemaRefused) {
  const auto dir = std::filesystem::temp_directory_path() / ("sluice-store-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const config::StoreConfig cfg{.url = "sqlite:state.db"};
  {
    auto s = Store::open(cfg, dir.string());  // relative to the config's directory
    ASSERT_TRUE(s) << s.error().message;
    ASSERT_TRUE((*s)->insert_tenant(TenantRecord{config::Tenant{.id = "kept", .models = {"*"}}},
                                    AuditRecord{1, "t", "tenant.create", "kept", "", ""}));
  }
  ASSERT_TRUE(std::filesystem::exists(dir / "state.db"));
  {
    auto db = open_sqlite((dir / "state.db").string());
    ASSERT_TRUE(db);
    auto again = migrate(**db);  // nothing left to do
    ASSERT_TRUE(again);
    EXPECT_EQ(again->from, current_schema_version());
    EXPECT_EQ(again->to, current_schema_version());
    ASSERT_TRUE((*db)->script("INSERT INTO sluice_schema (version) VALUES (999)"));
  }
  auto refused = Store::open(cfg, dir.string());
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("schema version 999, newer than this sluice knows"), std::string::npos)
      << refused.error().message;
  std::filesystem::remove_all(dir);
}

TEST(StoreSqlite, StoreTenantsJoinTheConfigWithLiveKeysAndAnIdInBothIsAnError) {
  auto store = memory_store();
  const AuditRecord a{1, "t", "x", "x", "", ""};
  TenantRecord initech{config::Tenant{.id = "initech", .models = {"*"}}};
  TenantRecord off{config::Tenant{.id = "off", .models = {"*"}}, /*disabled=*/true};
  ASSERT_TRUE(store->insert_tenant(initech, a));
  ASSERT_TRUE(store->insert_tenant(off, a));
  KeyRecord live{.id = "key_live", .tenant_id = "initech", .sha256 = std::string(64, 'a'), .expires_at = 5000};
  KeyRecord gone{.id = "key_gone", .tenant_id = "initech", .sha256 = std::string(64, 'b'), .revoked_at = 10};
  ASSERT_TRUE(store->insert_key(live, a));
  ASSERT_TRUE(store->insert_key(gone, a));

  config::Config cfg;
  cfg.tenants.push_back(config::Tenant{.id = "acme", .models = {"*"}});
  ASSERT_TRUE(add_store_tenants(*store, cfg, 1000));
  ASSERT_EQ(cfg.tenants.size(), 2u);  // the disabled tenant stays out
  const config::Tenant& t = cfg.tenants[1];
  EXPECT_EQ(t.id, "initech");
  EXPECT_EQ(t.origin, "store");
  ASSERT_EQ(t.api_keys.size(), 1u);  // the revoked key stays out
  EXPECT_EQ(t.api_keys[0].id, "key_live");
  EXPECT_EQ(t.api_keys[0].expires_at_ms, 5000);

  config::Config clash;
  clash.source_path = "gw.yaml";
  clash.tenants.push_back(config::Tenant{.id = "initech", .models = {"*"}});
  const auto refused = add_store_tenants(*store, clash, 1000);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("tenant \"initech\" is declared in gw.yaml and also managed in the store"),
            std::string::npos)
      << refused.error().message;
}

TEST(StoreSqlite, ABadUrlSaysWhatIsExpected) {
  auto s = Store::open(config::StoreConfig{.url = "mysql://x"}, "");
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message.find("expected sqlite:PATH"), std::string::npos);
}

TEST(TenantJson, ErrorsNameTheFieldAndWhatWasExpected) {
  config::Tenant t;
  auto r = apply_tenant_json(nlohmann::json{{"id", "acme"}, {"limits", {{"rpm", -3}}}}, t, true);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().param, "limits.rpm");
  EXPECT_EQ(r.error().message, "limits.rpm: expected a positive integer, got -3");
  r = apply_tenant_json(nlohmann::json{{"id", "Bad Id"}}, t, true);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().param, "id");
  r = apply_tenant_json(nlohmann::json{{"id", "a"}, {"colour", "red"}}, t, true);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().param, "colour");
  r = apply_tenant_json(nlohmann::json{{"id", "a"}, {"budgets", {{{"limit", 5}, {"period", "week"}}}}}, t, true);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().param, "budgets[0].period");
  r = apply_tenant_json(nlohmann::json{{"id", "ok"}, {"weight", 3}, {"priority", "batch"}}, t, true);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(t.max_priority, config::Priority::kBatch);
  EXPECT_EQ(t.models, std::vector<std::string>{"*"});
  r = apply_tenant_json(nlohmann::json{{"id", "other"}}, t, false);
  ASSERT_FALSE(r);  // an update cannot rename
  EXPECT_EQ(tenant_to_json(t)["weight"], 3.0);
}

TEST(TenantJson, DurationsIncludeDays) {
  EXPECT_EQ(parse_duration_ms("7d"), 7 * 86'400'000LL);
  EXPECT_EQ(parse_duration_ms("90s"), 90'000);
  EXPECT_FALSE(parse_duration_ms("-1d"));
  EXPECT_FALSE(parse_duration_ms("soon"));
}

}  // namespace
}  // namespace sluice::store
