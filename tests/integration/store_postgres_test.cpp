// The store on a real PostgreSQL (started here on a loopback port and a
// temporary directory): the same contract as SQLite, a gateway using it,
// and a database that goes away under load and comes back.
#include <gtest/gtest.h>

#include "../support/postgres_server.h"
#include "../support/store_contract.h"
#include <fmt/format.h>

#include "harness.h"

namespace sluice::itest {
namespace {

class StorePostgresTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(pg_.start()) << pg_.error(); }
  std::unique_ptr<store::Store> open() {
    auto s = store::Store::open(config::StoreConfig{.url = pg_.url()}, "");
    EXPECT_TRUE(s) << (s ? "" : s.error().message);
    return s ? std::move(*s) : nullptr;
  }
  testing::PostgresServer pg_;
};

TEST_F(StorePostgresTest, HoldsTheSameContractAsSqlite) {
  auto s = open();
  ASSERT_TRUE(s);
  EXPECT_EQ(s->dialect(), store::Dialect::kPostgres);
  store::contract::tenants_round_trip(*s);
  store::contract::keys_issue_rotate_revoke(*s);
  store::contract::usage_ledger_and_rollups(*s);
  store::contract::hostile_text_is_data(*s);
  store::contract::admin_tokens_and_audit(*s);
  // A second open migrates nothing and keeps the data.
  auto again = open();
  ASSERT_TRUE(again);
  EXPECT_EQ(again->tenants()->size(), 2u);  // globex and robert
}

Response admin(const Gateway& g, std::string_view method, std::string_view target, const Json& body = nullptr) {
  return request(g.admin_port(), method, target, body.is_null() ? std::string() : body.dump());
}

std::int64_t ledger_requests(const Gateway& g) {
  const Response r = admin(g, "GET", "/admin/usage?group_by=none&since=1d");
  std::int64_t n = 0;
  if (r.status != 200) return -1;
  const Json r_body = r.json();  // kept alive: a range over a temporary's member dangles
  for (const auto& row : r_body["data"]) n += row["requests"].get<std::int64_t>();
  return n;
}

TEST_F(StorePostgresTest, AGatewayKeepsServingWhileTheDatabaseIsDownAndCatchesUp) {
  Gateway g(fmt::format("listen: {{api: 127.0.0.1:0, admin: 127.0.0.1:0}}\n{}"
                        "store: {{url: \"{}\", commit_interval: 100ms}}\n{}"
                        "models:\n  - name: small\n    source: sim\n    sim: {{instances: 2, profile: instant}}\n",
                        admin_yaml(), pg_.url(), demo_tenants_yaml()));
  ASSERT_TRUE(g.start()) << g.error();
  ASSERT_TRUE(wait_until([&] { return get(g.admin_port(), "/readyz").status == 200; }, 20000ms));
  ASSERT_EQ(admin(g, "POST", "/admin/tenants", Json{{"id", "initech"}}).status, 201);
  const Response issued = admin(g, "POST", "/admin/tenants/initech/keys", Json::object());
  ASSERT_EQ(issued.status, 201) << issued.body;
  EXPECT_EQ(post_json(g.api_port(), "/v1/chat/completions", chat_body("small", "hi", 4), issued.json()["key"].get<std::string>())
                .status,
            200);

  Traffic traffic(g.api_port(), 3, 0, "small", 4);
  std::this_thread::sleep_for(500ms);
  ASSERT_TRUE(pg_.stop()) << pg_.error();
  // Serving goes on from the snapshot; usage waits in memory.
  ASSERT_TRUE(wait_until([&] { return g.metrics().find("sluice_store_up 0") != std::string::npos; }, 5000ms))
      << g.metrics();
  std::this_thread::sleep_for(1500ms);
  EXPECT_TRUE(traffic.failures().empty()) << traffic.failures().front();
  EXPECT_EQ(admin(g, "GET", "/admin/tenants").status, 503);  // the admin API says the store is away
  ASSERT_TRUE(pg_.restart()) << pg_.error();
  std::this_thread::sleep_for(500ms);
  traffic.stop();
  const std::int64_t served = traffic.unary() + 1;  // + the initech request
  ASSERT_TRUE(wait_until([&] { return ledger_requests(g) == served; }, 10000ms))
      << "ledger " << ledger_requests(g) << " vs served " << served;
  EXPECT_NE(g.metrics().find("sluice_store_up 1"), std::string::npos);
  EXPECT_NE(g.metrics().find("sluice_usage_rows_dropped_total 0"), std::string::npos);
}

}  // namespace
}  // namespace sluice::itest
