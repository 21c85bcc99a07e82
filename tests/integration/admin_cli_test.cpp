// `sluice admin …` against a real gateway, and every admin API answer the
// test sees checked against docs/admin-api.yaml: a tenant made with the CLI
// serves with the key the CLI issued, its usage comes back, and a revoked key
// is refused. The schema checker itself is tested first, without a server.
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <map>
#include <regex>
#include <set>

#include <fmt/format.h>

#include "harness.h"
#include "openapi_check.h"

namespace sluice::itest {
namespace {

const OpenApiDoc& admin_api() {
  static const OpenApiDoc doc = [] {
    std::string error;
    auto loaded = OpenApiDoc::load_admin_api(error);
    if (!loaded) {
      ADD_FAILURE() << error;
      std::abort();
    }
    return std::move(*loaded);
  }();
  return doc;
}

bool is_http_method(const std::string& key) {
  return key == "get" || key == "post" || key == "put" || key == "patch" || key == "delete" || key == "head";
}

Json good_tenant() {
  return Json{{"id", "acme"},
              {"name", "Acme"},
              {"weight", 1.0},
              {"priority", "standard"},
              {"max_priority", "standard"},
              {"models", {"*"}},
              {"limits", {{"rpm", 60}, {"max_queue_wait", "30s"}}},
              {"budgets", Json::array({{{"limit", 100.0}, {"unit", "usd"}, {"period", "month"}, {"soft_fraction", 0.8}}})},
              {"disabled", false},
              {"source", "store"},
              {"created_at", "2026-12-07T08:00:00Z"},
              {"updated_at", nullptr}};
}

// ------------------------------------------------------- the checker itself ----

TEST(OpenApiCheckTest, AGoodBodyPassesAndEachMismatchIsNamedWithItsPath) {
  const OpenApiDoc& doc = admin_api();
  const Json tenant_ref{{"$ref", "#/components/schemas/Tenant"}};
  EXPECT_TRUE(doc.check_schema(tenant_ref, good_tenant()).empty()) << join_mismatches(doc.check_schema(tenant_ref, good_tenant()));
  EXPECT_TRUE(doc.check("GET", "/admin/tenants", 200, Json{{"data", Json::array({good_tenant()})}}).empty());

  Json bad = good_tenant();
  bad["created_at"] = 1765094400;  // a number where a time string belongs
  bad.erase("models");
  bad["priority"] = "high";  // not a band
  bad["limits"]["burst"] = 5;  // Limits has additionalProperties: false
  bad["disabled"] = nullptr;   // not nullable
  const auto mismatches = doc.check("GET", "/admin/tenants", 200, Json{{"data", Json::array({bad})}});
  const std::string all = join_mismatches(mismatches);
  EXPECT_EQ(mismatches.size(), 5u) << all;
  for (const char* expected : {"$.data[0].created_at: expected string, got integer",
                               "$.data[0]: required property \"models\" is missing",
                               "$.data[0].priority: \"high\" is not one of",
                               "$.data[0].limits: unexpected property \"burst\"",
                               "$.data[0].disabled: expected boolean, got null"}) {
    EXPECT_NE(all.find(expected), std::string::npos) << "missing: " << expected << "\nin:\n" << all;
  }

  // allOf: an issued key is a Key and the plain key.
  Json key{{"id", "key_1"},      {"tenant", "acme"},  {"label", ""},           {"prefix", "sk-sluice-ab12"},
           {"created_at", "2026-12-07T08:00:00Z"}, {"expires_at", nullptr}, {"revoked_at", nullptr},
           {"last_used_at", nullptr}, {"budgets", Json::array()}};
  EXPECT_TRUE(doc.check("GET", "/admin/keys/{key_id}", 200, key).empty());
  const auto no_plain = doc.check("POST", "/admin/tenants/{id}/keys", 201, key);
  ASSERT_EQ(no_plain.size(), 1u) << join_mismatches(no_plain);
  EXPECT_EQ(no_plain[0], "$: required property \"key\" is missing");

  // Routes and statuses the document does not have are mismatches too.
  EXPECT_FALSE(doc.check("GET", "/admin/tenants", 418, Json::object()).empty());
  EXPECT_FALSE(doc.check("PUT", "/admin/tenants", 200, Json::object()).empty());
  EXPECT_FALSE(doc.check_path("GET", "/admin/nothing/here", 200, Json::object()).empty());
}

TEST(OpenApiCheckTest, ConcretePathsFindTheirTemplates) {
  const OpenApiDoc& doc = admin_api();
  EXPECT_EQ(doc.match_path("/admin/tenants"), "/admin/tenants");
  EXPECT_EQ(doc.match_path("/admin/tenants/acme"), "/admin/tenants/{id}");
  EXPECT_EQ(doc.match_path("/admin/tenants/acme/keys"), "/admin/tenants/{id}/keys");
  EXPECT_EQ(doc.match_path("/admin/keys/key_1/rotate"), "/admin/keys/{key_id}/rotate");
  EXPECT_EQ(doc.match_path("/admin/usage?since=7d"), "/admin/usage");
  EXPECT_EQ(doc.match_path("/admin/fleet/drain"), "/admin/fleet/drain");  // literal, not a parameter
  EXPECT_FALSE(doc.match_path("/admin/tenants/acme/nothing").has_value());
}

/// Every $ref resolves, every operation names its role, every response that
/// has JSON content has a schema.
TEST(OpenApiCheckTest, TheDocumentIsWhole) {
  const Json& d = admin_api().document();
  std::vector<std::string> problems;
  std::function<void(const Json&, const std::string&)> walk = [&](const Json& j, const std::string& at) {
    if (j.is_object()) {
      if (j.contains("$ref")) {
        const std::string ref = j["$ref"];
        if (!ref.starts_with("#/") || !d.contains(Json::json_pointer(ref.substr(1))))
          problems.push_back(at + ": $ref " + ref + " resolves to nothing");
      }
      for (const auto& [k, v] : j.items()) walk(v, at + "/" + k);
    } else if (j.is_array()) {
      for (std::size_t i = 0; i < j.size(); ++i) walk(j[i], at + "/" + std::to_string(i));
    }
  };
  walk(d, "");
  for (const auto& [path, item] : d["paths"].items()) {
    for (const auto& [method, op] : item.items()) {
      if (!is_http_method(method)) continue;  // parameters, servers
      const std::string role = op.value("x-sluice-role", "");
      if (role != "none" && role != "viewer" && role != "operator" && role != "admin" && role != "tenant")
        problems.push_back(method + " " + path + ": x-sluice-role is \"" + role + "\"");
      if (!op.contains("responses")) problems.push_back(method + " " + path + ": no responses");
    }
  }
  for (const char* name : {"Tenant", "TenantInput", "Key", "IssuedKey", "AdminToken", "UsageRow", "AuditEvent", "Error"})
    if (!d["components"]["schemas"].contains(name)) problems.push_back(std::string("no schema ") + name);
  EXPECT_TRUE(problems.empty()) << join_mismatches(problems);
}

// --------------------------------------------------------- the CLI, for real ----

/// One `sluice admin --json -v …` run: its exit status, its JSON and what
/// the API answered (from the -v line "METHOD URL -> STATUS").
struct CliRun {
  CommandResult result;
  Json json;
  std::string method;
  std::string path;
  int status = 0;
};

class AdminCliTest : public SharedGatewayTest<AdminCliTest> {
 public:
  static std::string config() {
    return make_config("shutdown_grace: 1s",
                       "  - name: small\n"
                       "    source: sim\n"
                       "    sim: {instances: 1, profile: instant}\n");
  }

 protected:
  void SetUp() override {
    SharedGatewayTest::SetUp();
    ASSERT_TRUE(wait_until([&] { return get(gateway_->admin_port(), "/readyz").status == 200; }, 20000ms));
  }

  std::string url() const { return fmt::format("http://127.0.0.1:{}", gateway_->admin_port()); }

  /// Runs the CLI (URL as a flag, token from the environment) and checks the
  /// JSON it printed against the document for the route and status it hit.
  CliRun cli(std::vector<std::string> args, std::string_view token = kTestAdminToken, bool json = true) {
    std::vector<std::string> argv{sluice_binary(), "admin", "--url", url(), "-v"};
    if (json) argv.push_back("--json");
    argv.insert(argv.end(), args.begin(), args.end());
    CliRun run;
    run.result = run_command(argv, 20000ms, {{"SLUICE_ADMIN_TOKEN", std::string(token)}});
    static const std::regex kLine(R"(([A-Z]+) http://[^/ ]+(/[^ ]*) -> ([0-9]+))");
    for (std::sregex_iterator it(run.result.err.begin(), run.result.err.end(), kLine), end; it != end; ++it) {
      run.method = (*it)[1];
      run.path = (*it)[2];
      run.status = std::stoi((*it)[3]);
    }
    if (!json) return run;
    run.json = Json::parse(run.result.out, nullptr, false);
    if (run.status != 0 && !run.json.is_discarded()) {
      const auto mismatches = admin_api().check_path(run.method, run.path, run.status, run.json);
      EXPECT_TRUE(mismatches.empty()) << run.method << " " << run.path << " " << run.status << ":\n"
                                      << join_mismatches(mismatches) << run.result.out;
    }
    return run;
  }

  /// A direct call of the admin API, checked against the document too.
  Response admin(std::string_view method, std::string_view target, const Json& body = nullptr,
                 std::string_view token = kTestAdminToken) {
    std::vector<Header> headers{{"Authorization", token.empty() ? std::string() : fmt::format("Bearer {}", token)}};
    Response r = request(gateway_->admin_port(), method, target, body.is_null() ? std::string() : body.dump(), headers);
    if (r.header("content-type").starts_with("application/json")) {
      const auto mismatches = admin_api().check_path(method, target, r.status, r.json());
      EXPECT_TRUE(mismatches.empty()) << method << " " << target << " " << r.status << ":\n"
                                      << join_mismatches(mismatches) << r.body;
    }
    return r;
  }
};

std::string describe(const CliRun& r) {
  return fmt::format("exit {}\nstdout: {}\nstderr: {}", r.result.exit_code, r.result.out, r.result.err);
}

TEST_F(AdminCliTest, ATenantMadeWithTheCliServesItsKeyReportsUsageAndARevokedKeyIsRefused) {
  CliRun created = cli({"tenants", "create", "initech", "--name", "Initech", "--models", "small", "--rpm", "600",
                        "--budget", "100usd/month"});
  ASSERT_EQ(created.result.exit_code, 0) << describe(created);
  EXPECT_EQ(created.status, 201);
  EXPECT_EQ(created.json["source"], "store");
  EXPECT_EQ(created.json["limits"]["rpm"], 600);
  EXPECT_EQ(created.json["budgets"][0]["limit"], 100.0);

  // update changes the limit named and keeps the others.
  CliRun updated = cli({"tenants", "update", "initech", "--tpm", "100000"});
  ASSERT_EQ(updated.result.exit_code, 0) << describe(updated);
  EXPECT_EQ(updated.json["limits"]["rpm"], 600) << updated.json;
  EXPECT_EQ(updated.json["limits"]["tpm"], 100000) << updated.json;

  CliRun listed = cli({"tenants", "list"});
  ASSERT_EQ(listed.result.exit_code, 0) << describe(listed);
  std::set<std::string> ids;
  for (const auto& t : listed.json["data"]) ids.insert(t["id"].get<std::string>());
  EXPECT_TRUE(ids.contains("initech") && ids.contains("acme")) << listed.result.out;

  CliRun issued = cli({"keys", "issue", "--tenant", "initech", "--label", "ci", "--expires-in", "30d"});
  ASSERT_EQ(issued.result.exit_code, 0) << describe(issued);
  EXPECT_EQ(issued.status, 201);
  const std::string key = issued.json.value("key", "");
  const std::string key_id = issued.json.value("id", "");
  ASSERT_TRUE(key.starts_with("sk-sluice-")) << issued.result.out;

  const Response served = post_json(api(), "/v1/chat/completions", chat_body("small", "Hello", 5), key);
  ASSERT_EQ(served.status, 200) << served.body;

  // The ledger commits every store.commit_interval (200 ms by default).
  std::int64_t requests = 0;
  ASSERT_TRUE(wait_until(
      [&] {
        CliRun usage = cli({"usage", "--tenant", "initech", "--since", "1d", "--group-by", "none"});
        requests = 0;
        for (const auto& row : usage.json.value("data", Json::array())) requests += row.value("requests", 0);
        return usage.result.exit_code == 0 && requests >= 1;
      },
      5000ms, 250ms));
  CliRun by_key = cli({"usage", "--key", key_id, "--since", "1d"});
  ASSERT_EQ(by_key.result.exit_code, 0) << describe(by_key);
  ASSERT_EQ(by_key.json["data"].size(), 1u) << by_key.result.out;
  EXPECT_EQ(by_key.json["data"][0]["tenant"], "initech");
  EXPECT_EQ(by_key.json["data"][0]["model"], "small");
  EXPECT_EQ(by_key.json["data"][0]["completion_tokens"], 5);

  // The readable forms.
  CliRun table = cli({"usage", "--tenant", "initech", "--since", "1d"}, kTestAdminToken, /*json=*/false);
  ASSERT_EQ(table.result.exit_code, 0) << describe(table);
  EXPECT_NE(table.result.out.find("PERIOD"), std::string::npos) << table.result.out;
  EXPECT_NE(table.result.out.find(key_id), std::string::npos) << table.result.out;
  CliRun csv = cli({"usage", "--tenant", "initech", "--since", "1d", "--csv"}, kTestAdminToken, /*json=*/false);
  ASSERT_EQ(csv.result.exit_code, 0) << describe(csv);
  EXPECT_TRUE(csv.result.out.starts_with(
      "period_start,tenant,key,model,requests,prompt_tokens,completion_tokens,cost_usd\n"))
      << csv.result.out;
  CliRun tenants_table = cli({"tenants", "list"}, kTestAdminToken, /*json=*/false);
  EXPECT_NE(tenants_table.result.out.find("initech"), std::string::npos) << tenants_table.result.out;
  CliRun shown_key = cli({"keys", "list", "--tenant", "initech"}, kTestAdminToken, /*json=*/false);
  EXPECT_NE(shown_key.result.out.find(key_id), std::string::npos) << shown_key.result.out;
  EXPECT_EQ(shown_key.result.out.find(key), std::string::npos) << "the plain key is never listed";

  // The tenant reads the same with its own key on the API listener.
  for (const char* target : {"/v1/sluice/usage?since=1d", "/v1/sluice/remaining"}) {
    const Response own = get(api(), target, key);
    ASSERT_EQ(own.status, 200) << target << ": " << own.body;
    const auto mismatches = admin_api().check_path("GET", target, 200, own.json());
    EXPECT_TRUE(mismatches.empty()) << target << ":\n" << join_mismatches(mismatches) << own.body;
  }
  const Response other = get(api(), "/v1/sluice/usage?tenant=acme", key);
  EXPECT_TRUE(admin_api().check_path("GET", "/v1/sluice/usage", other.status, other.json()).empty()) << other.body;
  EXPECT_EQ(other.status, 404);

  CliRun remaining = cli({"remaining", "--tenant", "initech"});
  ASSERT_EQ(remaining.result.exit_code, 0) << describe(remaining);
  EXPECT_EQ(remaining.json["limits"]["rpm"]["limit"], 600) << remaining.result.out;

  CliRun audit = cli({"audit", "--since", "1d", "--limit", "50"});
  ASSERT_EQ(audit.result.exit_code, 0) << describe(audit);
  std::set<std::string> actions;
  for (const auto& a : audit.json["data"]) actions.insert(a["action"].get<std::string>());
  EXPECT_TRUE(actions.contains("tenant.create") && actions.contains("key.issue")) << audit.result.out;

  // Revoked: the key is refused from the next request on; revoking twice is refused.
  CliRun revoked = cli({"keys", "revoke", key_id});
  ASSERT_EQ(revoked.result.exit_code, 0) << describe(revoked);
  EXPECT_TRUE(revoked.json["revoked_at"].is_string()) << revoked.result.out;
  EXPECT_TRUE(wait_until(
      [&] { return post_json(api(), "/v1/chat/completions", chat_body("small", "Hi", 2), key).status == 401; }, 3000ms));
  CliRun again = cli({"keys", "revoke", key_id});
  EXPECT_EQ(again.result.exit_code, 1) << describe(again);
  EXPECT_EQ(again.status, 409);
  EXPECT_NE(again.result.err.find("already revoked"), std::string::npos) << again.result.err;

  admin("GET", "/admin/tenants/initech");
  admin("GET", "/admin/tenants/initech/keys");
  CliRun deleted = cli({"tenants", "delete", "initech"});
  EXPECT_EQ(deleted.result.exit_code, 0) << describe(deleted);
  EXPECT_EQ(admin("GET", "/admin/tenants/initech").status, 404);
}

TEST_F(AdminCliTest, RefusalsPrintTheApiMessageAndExit1UnreachableExits2) {
  CliRun missing = cli({"tenants", "get", "nope"});
  EXPECT_EQ(missing.result.exit_code, 1) << describe(missing);
  EXPECT_EQ(missing.status, 404);
  EXPECT_NE(missing.result.err.find("No tenant \"nope\""), std::string::npos) << missing.result.err;

  CliRun bad = cli({"tenants", "create", "Bad Id"});
  EXPECT_EQ(bad.result.exit_code, 1) << describe(bad);
  EXPECT_EQ(bad.status, 400);

  CliRun no_token = cli({"tenants", "list"}, "");
  EXPECT_EQ(no_token.result.exit_code, 1) << describe(no_token);
  EXPECT_EQ(no_token.status, 401);
  EXPECT_NE(no_token.result.err.find("SLUICE_ADMIN_TOKEN"), std::string::npos) << no_token.result.err;

  // A viewer token reads but cannot create; the token comes and goes through the CLI.
  CliRun token = cli({"tokens", "issue", "--role", "viewer", "--label", "dashboards"});
  ASSERT_EQ(token.result.exit_code, 0) << describe(token);
  const std::string viewer = token.json.value("token", "");
  CliRun tokens = cli({"tokens", "list"});
  EXPECT_NE(tokens.result.out.find(token.json.value("id", "?")), std::string::npos) << tokens.result.out;
  EXPECT_EQ(cli({"tenants", "list"}, viewer).result.exit_code, 0);
  CliRun forbidden = cli({"tenants", "create", "viewers-cannot"}, viewer);
  EXPECT_EQ(forbidden.result.exit_code, 1) << describe(forbidden);
  EXPECT_EQ(forbidden.status, 403);
  CliRun revoked = cli({"tokens", "revoke", token.json.value("id", "")});
  EXPECT_EQ(revoked.result.exit_code, 0) << describe(revoked);
  EXPECT_EQ(cli({"tenants", "list"}, viewer).status, 401);

  // Nothing listens on port 1: the URL is named, exit 2.
  const CommandResult down = run_command({sluice_binary(), "admin", "tenants", "list"}, 10000ms,
                                         {{"SLUICE_ADMIN_URL", "http://127.0.0.1:1"}, {"SLUICE_ADMIN_TOKEN", "x"}});
  EXPECT_EQ(down.exit_code, 2) << down.err;
  EXPECT_NE(down.err.find("http://127.0.0.1:1"), std::string::npos) << down.err;

  // Bad usage is 2 as well, before anything is sent.
  EXPECT_EQ(cli({"tenants", "create", "x", "--budget", "lots"}).result.exit_code, 2);
}

/// The roles the document names are the server's: a token one role too low
/// gets 403 on every operation, and an open route needs no token.
TEST_F(AdminCliTest, EachRouteNeedsTheRoleTheDocumentNames) {
  const Response viewer = admin("POST", "/admin/tokens", Json{{"role", "viewer"}});
  const Response operator_ = admin("POST", "/admin/tokens", Json{{"role", "operator"}});
  ASSERT_EQ(viewer.status, 201) << viewer.body;
  ASSERT_EQ(operator_.status, 201) << operator_.body;
  const std::string viewer_token = viewer.json()["token"].get<std::string>();
  const std::map<std::string, std::string> below{{"operator", viewer_token},
                                                 {"admin", operator_.json()["token"].get<std::string>()}};
  const Json& paths = admin_api().document()["paths"];
  int checked = 0;
  for (const auto& [tmpl, item] : paths.items()) {
    std::string path = std::regex_replace(tmpl, std::regex(R"(\{[a-z_]+\})"), "no-such-thing");
    for (const auto& [method, op] : item.items()) {
      if (!is_http_method(method)) continue;  // parameters, servers
      std::string verb = method;
      std::transform(verb.begin(), verb.end(), verb.begin(), ::toupper);
      const std::string role = op["x-sluice-role"];
      if (role == "tenant") continue;  // the API listener's, with a tenant key (checked in the first test)
      if (role == "none") {
        EXPECT_NE(admin(verb, path, nullptr, "").status, 401) << verb << " " << path << " should be open";
      } else if (role == "viewer") {
        EXPECT_EQ(admin(verb, path, nullptr, "").status, 401) << verb << " " << path;
        EXPECT_NE(admin(verb, path, nullptr, viewer_token).status, 403) << verb << " " << path;
      } else {
        EXPECT_EQ(admin(verb, path, nullptr, below.at(role)).status, 403) << verb << " " << path << " needs " << role;
      }
      ++checked;
    }
  }
  EXPECT_GE(checked, 30);
}

/// An https admin listener: the CLI checks its certificate against --cacert
/// (by address and by name) and refuses it without.
TEST(AdminCliTlsTest, HttpsAdminUrlIsVerifiedAgainstTheCaFile) {
  TempDir pki;
  const auto openssl = [&](std::vector<std::string> args) {
    args.insert(args.begin(), "openssl");
    const CommandResult r = run_command(args, 20000ms);
    return r.exit_code == 0 ? std::string() : r.err + " ";
  };
  const auto at = [&](const char* name) { return pki.path() + "/" + name; };
  pki.write("ext.cnf", "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
  std::string failed = openssl({"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                                "-keyout", at("ca.key"), "-out", at("ca.pem"), "-days", "2", "-subj", "/CN=sluice test ca"});
  failed += openssl({"req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout",
                     at("server.key"), "-out", at("server.csr"), "-subj", "/CN=localhost"});
  failed += openssl({"x509", "-req", "-in", at("server.csr"), "-CA", at("ca.pem"), "-CAkey", at("ca.key"), "-set_serial",
                     "0x2001", "-days", "2", "-extfile", at("ext.cnf"), "-out", at("server.pem")});
  ASSERT_TRUE(failed.empty()) << failed;

  std::string config = make_config("shutdown_grace: 1s", "  - name: small\n    source: sim\n    sim: {instances: 1, profile: instant}\n");
  config.replace(0, config.find('\n'),
                 fmt::format("listen: {{api: 127.0.0.1:0, admin: 127.0.0.1:0, admin_tls: {{cert_file: {}, key_file: {}}}}}",
                             at("server.pem"), at("server.key")));
  Gateway g(config);
  ASSERT_TRUE(g.start()) << g.error();
  const std::vector<std::pair<std::string, std::string>> env{{"SLUICE_ADMIN_TOKEN", std::string(kTestAdminToken)}};
  for (const char* host : {"127.0.0.1", "localhost"}) {
    const CommandResult r = run_command({sluice_binary(), "admin", "--url", fmt::format("https://{}:{}", host, g.admin_port()),
                                         "--cacert", at("ca.pem"), "--json", "tenants", "list"},
                                        20000ms, env);
    EXPECT_EQ(r.exit_code, 0) << host << ": " << r.err;
    const Json doc = Json::parse(r.out, nullptr, false);
    EXPECT_TRUE(admin_api().check("GET", "/admin/tenants", 200, doc).empty()) << r.out;
  }
  const CommandResult unverified = run_command(
      {sluice_binary(), "admin", "--url", fmt::format("https://127.0.0.1:{}", g.admin_port()), "tenants", "list"}, 20000ms,
      env);
  EXPECT_EQ(unverified.exit_code, 2) << unverified.err;
  EXPECT_NE(unverified.err.find("certificate verify failed"), std::string::npos) << unverified.err;
}

}  // namespace
}  // namespace sluice::itest
