#include "sluice/admin/admin_auth.h"

#include <gtest/gtest.h>

#include "sluice/config/api_key_hash.h"

namespace sluice::admin {
namespace {

using net::http::verb;

TEST(AdminAuth, EachRouteNeedsItsRole) {
  EXPECT_TRUE(required_role(verb::get, "/healthz", false).open);
  EXPECT_TRUE(required_role(verb::get, "/readyz", true).open);
  EXPECT_TRUE(required_role(verb::get, "/metrics", false).open);
  EXPECT_FALSE(required_role(verb::get, "/metrics", true).open);
  EXPECT_EQ(required_role(verb::get, "/admin/instances", false).role, Role::kViewer);
  EXPECT_EQ(required_role(verb::get, "/admin/fleet", false).role, Role::kViewer);
  EXPECT_EQ(required_role(verb::post, "/admin/fleet/drain", false).role, Role::kOperator);
  EXPECT_EQ(required_role(verb::delete_, "/admin/fleet/faults", false).role, Role::kOperator);
  EXPECT_EQ(required_role(verb::post, "/admin/reload", false).role, Role::kOperator);
  EXPECT_EQ(required_role(verb::get, "/admin/tenants/acme", false).role, Role::kViewer);
  EXPECT_EQ(required_role(verb::patch, "/admin/tenants/acme", false).role, Role::kAdmin);
  EXPECT_EQ(required_role(verb::post, "/admin/keys/key_1/revoke", false).role, Role::kAdmin);
  EXPECT_EQ(required_role(verb::get, "/admin/tokens", false).role, Role::kAdmin);
  EXPECT_EQ(required_role(verb::get, "/admin/audit", false).role, Role::kAdmin);
  EXPECT_EQ(required_role(verb::get, "/admin/usage", false).role, Role::kViewer);
  EXPECT_FALSE(required_role(verb::get, "/admin/anything-else", false).open);
}

TEST(AdminAuth, TokensAreCheckedByHashAndRole) {
  const store::AdminTokenRecord viewer{"tok_v", config::sha256_hex("sla-viewer"), "sla-view", Role::kViewer, "", 1, 0};
  const store::AdminTokenRecord revoked{"tok_r", config::sha256_hex("sla-revoked"), "sla-revo", Role::kAdmin, "", 1, 5};
  const AdminTokens tokens(config::sha256_hex("sla-boot"), {viewer, revoked});
  const Requirement admin_only{false, Role::kAdmin};

  AuthOutcome ok = authorize(tokens, admin_only, "Bearer sla-boot");
  ASSERT_TRUE(ok.principal);
  EXPECT_EQ(ok.principal->id, "bootstrap");

  AuthOutcome none = authorize(tokens, admin_only, "");
  EXPECT_EQ(none.status, 401);
  EXPECT_NE(none.body.find("missing_admin_token"), std::string::npos);
  EXPECT_EQ(authorize(tokens, admin_only, "Bearer sla-revoked").status, 401);
  EXPECT_EQ(authorize(tokens, admin_only, "Bearer sk-demo-acme").status, 401);
  AuthOutcome weak = authorize(tokens, admin_only, "Bearer sla-viewer");
  EXPECT_EQ(weak.status, 403);
  EXPECT_NE(weak.body.find("needs the admin role; the token has viewer"), std::string::npos) << weak.body;
  EXPECT_TRUE(authorize(tokens, Requirement{false, Role::kViewer}, "Bearer sla-viewer").principal);
  EXPECT_TRUE(authorize(tokens, Requirement{true}, "").principal);  // open routes need nothing

  const AdminTokens unconfigured("", {});
  AuthOutcome told = authorize(unconfigured, admin_only, "");
  EXPECT_NE(told.body.find("none is configured"), std::string::npos) << told.body;
}

}  // namespace
}  // namespace sluice::admin
