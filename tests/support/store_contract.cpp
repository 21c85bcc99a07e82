#include "store_contract.h"

#include <gtest/gtest.h>

namespace sluice::store::contract {
namespace {

AuditRecord audit(std::string action, std::string target, std::int64_t at = 1000) {
  return AuditRecord{at, "tok_test", std::move(action), std::move(target), "", "{}"};
}

TenantRecord tenant(std::string id, std::int64_t at = 1000) {
  TenantRecord t;
  t.tenant.id = std::move(id);
  t.tenant.display_name = "Name of " + t.tenant.id;
  t.tenant.models = {"*"};
  t.tenant.weight = 2.5;
  t.tenant.priority = config::Priority::kCritical;
  t.tenant.max_priority = config::Priority::kCritical;
  t.tenant.limits.rpm = 60;
  t.tenant.limits.max_queue_wait = std::chrono::seconds(5);
  t.tenant.budgets.push_back(config::Budget{12.5, config::BudgetUnit::kUsd, config::BudgetPeriod::kDay, 0.5});
  t.created_at = t.updated_at = at;
  return t;
}

KeyRecord key(std::string id, std::string tenant_id, std::string sha, std::int64_t at = 1000) {
  KeyRecord k;
  k.id = std::move(id);
  k.tenant_id = std::move(tenant_id);
  k.sha256 = std::move(sha);
  k.prefix = "sk-sluice-abcd";
  k.label = "ci";
  k.created_at = at;
  return k;
}

}  // namespace

void tenants_round_trip(Store& store) {
  ASSERT_TRUE(store.insert_tenant(tenant("acme"), audit("tenant.create", "acme")));
  const auto again = store.insert_tenant(tenant("acme"), audit("tenant.create", "acme"));
  ASSERT_FALSE(again);
  EXPECT_NE(again.error().message.find("exists"), std::string::npos);
  auto got = store.tenant("acme");
  ASSERT_TRUE(got && got->has_value()) << (got ? "" : got.error().message);
  const config::Tenant& t = (*got)->tenant;
  EXPECT_EQ(t.display_name, "Name of acme");
  EXPECT_DOUBLE_EQ(t.weight, 2.5);
  EXPECT_EQ(t.priority, config::Priority::kCritical);
  EXPECT_EQ(t.limits.rpm, 60);
  EXPECT_EQ(t.limits.max_queue_wait, std::chrono::seconds(5));
  ASSERT_EQ(t.budgets.size(), 1u);
  EXPECT_DOUBLE_EQ(t.budgets[0].limit, 12.5);
  EXPECT_EQ(t.budgets[0].period, config::BudgetPeriod::kDay);
  EXPECT_EQ(t.origin, "store");

  const auto v0 = store.state_version();
  ASSERT_TRUE(v0);
  TenantRecord changed = **got;
  changed.tenant.weight = 4;
  changed.disabled = true;
  changed.updated_at = 2000;
  ASSERT_TRUE(store.update_tenant(changed, audit("tenant.update", "acme", 2000)));
  EXPECT_GT(*store.state_version(), *v0);  // other replicas notice
  got = store.tenant("acme");
  EXPECT_DOUBLE_EQ((*got)->tenant.weight, 4);
  EXPECT_TRUE((*got)->disabled);
  EXPECT_EQ((*got)->created_at, 1000);
  EXPECT_EQ((*got)->updated_at, 2000);

  ASSERT_TRUE(store.insert_key(key("key_a", "acme", std::string(64, 'a')), audit("key.issue", "key_a")));
  ASSERT_TRUE(store.delete_tenant("acme", 3000, audit("tenant.delete", "acme", 3000)));
  EXPECT_FALSE(*store.tenant("acme"));
  EXPECT_TRUE(store.live_keys(3000)->empty());  // its keys went with it
  EXPECT_EQ((*store.key("key_a"))->revoked_at, 3000);
}

void keys_issue_rotate_revoke(Store& store) {
  ASSERT_TRUE(store.insert_tenant(tenant("globex"), audit("tenant.create", "globex")));
  ASSERT_TRUE(store.insert_key(key("key_1", "globex", std::string(64, '1')), audit("key.issue", "key_1")));
  // A second key with the same hash is refused by the database itself.
  EXPECT_FALSE(store.insert_key(key("key_dup", "globex", std::string(64, '1')), audit("key.issue", "key_dup")));
  ASSERT_TRUE(store.rotate_key("key_1", 5000, key("key_2", "globex", std::string(64, '2'), 2000),
                               audit("key.rotate", "key_1", 2000)));
  auto live = store.live_keys(4999);
  ASSERT_TRUE(live);
  ASSERT_EQ(live->size(), 2u);  // the old key still works during its grace period
  live = store.live_keys(5000);
  ASSERT_EQ(live->size(), 1u);
  EXPECT_EQ(live->front().id, "key_2");
  ASSERT_TRUE(store.revoke_key("key_2", 6000, audit("key.revoke", "key_2", 6000)));
  EXPECT_TRUE(store.live_keys(6000)->empty());
  const auto all = store.keys("globex");
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ(all->at(0).expires_at, 5000);
  EXPECT_EQ(all->at(1).revoked_at, 6000);
}

void usage_ledger_and_rollups(Store& store) {
  std::vector<UsageRecord> rows;
  const std::int64_t day = 86'400'000;
  for (int i = 0; i < 120; ++i) {  // more than one INSERT's worth of rows
    rows.push_back(UsageRecord{day + i * 60'000, "req-" + std::to_string(i), i % 2 ? "acme" : "globex",
                               i % 2 ? "key_a" : "", "small", "small/0", 10, 5, 200, 0.001});
  }
  ASSERT_TRUE(store.append_usage(rows));
  // 120 minutes: two hours; acme has 60 rows.
  auto by_hour = store.usage(UsageQuery{"acme", "", "", day, 2 * day, UsageQuery::Group::kHour});
  ASSERT_TRUE(by_hour) << by_hour.error().message;
  ASSERT_EQ(by_hour->size(), 2u);
  EXPECT_EQ(by_hour->at(0).requests + by_hour->at(1).requests, 60);
  EXPECT_EQ(by_hour->at(0).period_start, day);
  auto by_day = store.usage(UsageQuery{"", "", "", day, 2 * day, UsageQuery::Group::kDay});
  ASSERT_EQ(by_day->size(), 2u);  // acme × key_a, globex × ""
  std::int64_t prompt = 0, completion = 0;
  double cost = 0;
  for (const auto& r : *by_day) {
    prompt += r.prompt_tokens;
    completion += r.completion_tokens;
    cost += r.cost_usd;
  }
  EXPECT_EQ(prompt, 1200);
  EXPECT_EQ(completion, 600);
  EXPECT_NEAR(cost, 0.12, 1e-9);
  auto none = store.usage(UsageQuery{"acme", "key_a", "small", 0, 3 * day, UsageQuery::Group::kNone});
  ASSERT_TRUE(none) << none.error().message;
  ASSERT_EQ(none->size(), 1u);
  EXPECT_EQ(none->at(0).requests, 60);
  // Appending again adds to the same rollup rows.
  ASSERT_TRUE(store.append_usage(std::span(rows).subspan(0, 2)));
  none = store.usage(UsageQuery{"", "", "", 0, 3 * day, UsageQuery::Group::kNone});
  std::int64_t requests = 0;
  for (const auto& r : *none) requests += r.requests;
  EXPECT_EQ(requests, 122);
  EXPECT_EQ(store.usage_records("acme", 0, 3 * day)->size(), 61u);
}

void hostile_text_is_data(Store& store) {
  const std::string hostile = "x'); DROP TABLE tenants; --";
  TenantRecord t = tenant("robert");
  t.tenant.display_name = hostile;
  ASSERT_TRUE(store.insert_tenant(t, audit("tenant.create", hostile)));
  KeyRecord k = key("key_r", "robert", std::string(64, 'r'));
  k.label = "\"; DELETE FROM api_keys; \\' $1 ?";
  ASSERT_TRUE(store.insert_key(k, audit("key.issue", "key_r")));
  const auto got = store.tenant("robert");
  ASSERT_TRUE(got && got->has_value());
  EXPECT_EQ((*got)->tenant.display_name, hostile);
  EXPECT_EQ((*store.key("key_r"))->label, k.label);
  EXPECT_FALSE(*store.tenant(hostile));  // a lookup by a hostile id finds nothing, breaks nothing
  EXPECT_TRUE(store.tenants());          // the table is still there
}

void admin_tokens_and_audit(Store& store) {
  AdminTokenRecord t{"tok_1", std::string(64, 't'), "sla-abcd", Role::kOperator, "ops", 10000, 0};
  ASSERT_TRUE(store.insert_admin_token(t, audit("token.issue", "tok_1")));
  auto tokens = store.admin_tokens();
  ASSERT_EQ(tokens->size(), 1u);
  EXPECT_EQ(tokens->front().role, Role::kOperator);
  EXPECT_EQ(*store.revoke_admin_token("tok_1", 20000, audit("token.revoke", "tok_1", 20000)), true);
  EXPECT_EQ(*store.revoke_admin_token("tok_1", 20001, audit("token.revoke", "tok_1", 20001)), false);
  EXPECT_EQ(store.admin_tokens()->front().revoked_at, 20000);
  const auto log = store.audit(0, 10);
  ASSERT_TRUE(log);
  ASSERT_GE(log->size(), 2u);
  EXPECT_EQ(log->front().action, "token.revoke");  // newest first
  EXPECT_EQ(log->front().actor, "tok_test");
}

}  // namespace sluice::store::contract
