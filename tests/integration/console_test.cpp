// The web console: the admin listener serves the embedded console/dist
// (content types, ETag and cache headers, 404 for anything else, no path
// tricks, no token needed for files that hold no data while the data stays
// behind the token), the committed build matches the sources when the
// console's npm packages are installed, and the page works in a real browser
// (tests/console/console_e2e.mjs: Debian's Chromium driven by playwright-core)
// against a live simulated fleet: sign in, see models and instances, an engine
// SIGKILLed shows as a failover, a confirmed drain drains.
#include <filesystem>
#include <regex>
#include <set>

#include <fmt/format.h>

#include "harness.h"

namespace sluice::itest {
namespace {

namespace fs = std::filesystem;

const std::string kSource = SLUICE_SOURCE_DIR;

/// Every file of the committed console build, by its path under dist/.
std::map<std::string, std::string> dist_files(const std::string& dir) {
  std::map<std::string, std::string> out;
  if (!fs::exists(dir)) return out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.is_regular_file()) out[fs::relative(e.path(), dir).string()] = read_file(e.path().string());
  }
  return out;
}

Response no_token_get(std::uint16_t port, std::string_view target, std::vector<Header> headers = {}) {
  headers.push_back({"Authorization", ""});
  return request(port, "GET", target, {}, headers);
}

TEST(ConsoleTest, ServesTheEmbeddedConsoleWithoutATokenAndNoDataWithout) {
  const auto files = dist_files(kSource + "/console/dist");
  ASSERT_TRUE(files.contains("index.html")) << "console/dist is not built; run `npm ci && npm run build` in console/";
  Gateway gateway(make_config("shutdown_grace: 1s",
                              "  - name: small\n"
                              "    source: sim\n"
                              "    sim: {instances: 1, profile: instant}\n"));
  ASSERT_TRUE(gateway.start()) << gateway.error();
  const std::uint16_t port = gateway.admin_port();

  const Response index = no_token_get(port, "/console");
  ASSERT_EQ(index.status, 200) << index.body;
  EXPECT_EQ(index.header("Content-Type"), "text/html; charset=utf-8");
  EXPECT_EQ(index.header("Cache-Control"), "no-cache");
  EXPECT_EQ(index.header("X-Content-Type-Options"), "nosniff");
  EXPECT_NE(index.header("Content-Security-Policy").find("script-src 'self'"), std::string::npos);
  EXPECT_EQ(index.body, files.at("index.html"));
  EXPECT_EQ(no_token_get(port, "/console/").body, index.body);

  // Every file of the build, byte for byte, with its type; hashed assets cached for good.
  for (const auto& [name, bytes] : files) {
    const Response res = no_token_get(port, "/console/" + name);
    ASSERT_EQ(res.status, 200) << name;
    EXPECT_EQ(res.body, bytes) << name;
    const std::string type = res.header("Content-Type");
    if (name.ends_with(".js")) {
      EXPECT_EQ(type, "text/javascript; charset=utf-8") << name;
    } else if (name.ends_with(".css")) {
      EXPECT_EQ(type, "text/css; charset=utf-8") << name;
    }
    if (name.starts_with("assets/")) {
      EXPECT_EQ(res.header("Cache-Control"), "public, max-age=31536000, immutable") << name;
    }
  }
  // The page loads its script from the embedded assets.
  std::smatch script;
  ASSERT_TRUE(std::regex_search(index.body, script, std::regex(R"re(src="/console/(assets/[^"]+\.js)")re")));
  EXPECT_TRUE(files.contains(script[1].str()));

  // Revalidation: the same ETag gets a 304 with no body; another gets the file.
  const std::string etag = index.header("ETag");
  ASSERT_FALSE(etag.empty());
  const Response again = no_token_get(port, "/console", {{"If-None-Match", etag}});
  EXPECT_EQ(again.status, 304);
  EXPECT_TRUE(again.body.empty());
  EXPECT_EQ(no_token_get(port, "/console", {{"If-None-Match", "W/\"other\", " + etag}}).status, 304);
  EXPECT_EQ(no_token_get(port, "/console", {{"If-None-Match", "\"other\""}}).status, 200);

  // Anything else under /console is a 404; nothing escapes to other routes or files.
  for (std::string_view path : {"/console/nope.js", "/console/assets/", "/console/../admin/fleet", "/console/../metrics",
                                "/console/%2e%2e/admin/fleet", "/console/..%2fadmin%2ffleet", "/console//index.html",
                                "/console/assets/../index.html", "/console/index.html/", "/console/../../../etc/passwd"}) {
    const Response res = no_token_get(port, path);
    EXPECT_EQ(res.status, 404) << path << ": " << res.body;
    EXPECT_EQ(res.body.find("\"instances\""), std::string::npos) << path;
  }
  EXPECT_EQ(request(port, "POST", "/console", "{}", {{"Authorization", ""}}).status, 405);
  // Only /console and /console/... are open: a look-alike path still needs a token.
  EXPECT_EQ(no_token_get(port, "/consolex").status, 401);
  // The data stays behind the token.
  EXPECT_EQ(no_token_get(port, "/admin/fleet").status, 401);
  EXPECT_EQ(no_token_get(port, "/admin/instances").status, 401);
  EXPECT_EQ(get(port, "/admin/fleet").status, 200);
  EXPECT_EQ(gateway.stop(), 0);
}

/// With the console's npm packages installed (`npm ci` in console/), the
/// committed console/dist must be what the sources build to: the binary
/// embeds dist, not the sources.
TEST(ConsoleTest, CommittedBuildMatchesTheSources) {
  const std::string console = kSource + "/console";
  if (!fs::exists(console + "/node_modules/.bin/vite")) {
    GTEST_SKIP() << "the console's build tools are not installed (`npm ci` in console/); checking the committed build "
                    "needs them";
  }
  TempDir out;
  const auto built = run_command({"npm", "run", "--silent", "build", "--", "--outDir", out.path() + "/dist",
                                  "--emptyOutDir", "--logLevel", "error"},
                                 120000ms, {}, console);
  ASSERT_EQ(built.exit_code, 0) << built.out << built.err;
  const auto fresh = dist_files(out.path() + "/dist");
  const auto committed = dist_files(console + "/dist");
  std::set<std::string> fresh_names, committed_names;
  for (const auto& [n, _] : fresh) fresh_names.insert(n);
  for (const auto& [n, _] : committed) committed_names.insert(n);
  EXPECT_EQ(fresh_names, committed_names) << "console/dist is stale: run `npm run build` in console/ and commit dist/";
  EXPECT_TRUE(fresh == committed) << "console/dist is stale: run `npm run build` in console/ and commit dist/";
}

/// Debian's Chromium, or "" when it is not installed.
std::string chromium_binary() {
  for (const char* p : {"/usr/bin/chromium", "/usr/bin/chromium-browser"}) {
    if (fs::exists(p)) return p;
  }
  return {};
}

std::string console_fleet_config() {
  return fmt::format(
      "listen: {{api: 127.0.0.1:0, admin: 127.0.0.1:0}}\n"
      "{}"
      "server: {{shutdown_grace: 1s, access_log: \"\"}}\n"
      "tenants:\n"
      "  - id: acme\n"
      "    api_keys: [sha256:d4ffc8c0325f7e8e971bb4d7bc9f6a78c97920b5ac57b24380e53b6c7a96bc13]\n"
      "    models: [\"*\"]\n"
      "    weight: 2\n"
      "  - id: globex\n"
      "    api_keys: [sha256:bbb8fab5ab2c83254e4969c119cdbb68880ee066c42a36223f8ac83fff2d5b96]\n"
      "    models: [small]\n"
      "models:\n"
      "  - name: small\n"
      "    source: sim\n"
      "    sim: {{instances: 2, profile: llama-3.1-8b-h100, speedup: 50}}\n"
      "    scheduler: {{max_in_flight_per_instance: 2}}\n"  // the browser's traffic queues: fairness shows
      "    recovery: {{preferred_zones: [zone-a], standby_zone: zone-b, standby: {{hot: 1, warm: 1}}}}\n"
      "  - name: big\n"
      "    source: sim\n"
      "    sim: {{instances: 1, profile: llama-3.1-70b-4xh100, speedup: 50}}\n"
      "    gpu: {{count: 2}}\n"
      "{}",
      admin_yaml(), two_zone_fleet_yaml(2));
}

bool fleet_settled(const Gateway& g) {
  const Json f = get(g.admin_port(), "/admin/fleet").json();
  if (!f.is_object() || !f.contains("models") || f["models"].empty()) return false;
  for (const auto& m : f["models"]) {
    if (!m.value("settled", false)) return false;
  }
  return true;
}

TEST(ConsoleTest, BrowserSignsInSeesTheFleetFollowsAFailoverAndDrains) {
  const std::string dir = kSource + "/tests/console";
  const std::string chromium = chromium_binary();
  if (chromium.empty()) GTEST_SKIP() << "Debian's chromium is not installed (scripts/install-deps.sh --test installs it)";
  if (!fs::exists(dir + "/node_modules/playwright-core/package.json")) {
    GTEST_SKIP() << "playwright-core is not installed; run `npm ci --prefix tests/console`";
  }
  if (run_command({"node", "--version"}, 10000ms).exit_code != 0) GTEST_SKIP() << "node is not on PATH";

  Gateway gateway(console_fleet_config());
  ASSERT_TRUE(gateway.start()) << gateway.error();
  ASSERT_TRUE(wait_until([&] { return fleet_settled(gateway); }, 30000ms))
      << get(gateway.admin_port(), "/admin/fleet").body;

  // Screenshots next to the binaries (build/<preset>/test-artifacts); the
  // README's is refreshed only on request.
  const std::string artifacts = (fs::path(sluice_binary()).parent_path() / "test-artifacts").string();
  std::vector<std::pair<std::string, std::string>> env = {
      {"SLUICE_ADMIN_URL", fmt::format("http://127.0.0.1:{}", gateway.admin_port())},
      {"SLUICE_ADMIN_TOKEN", std::string(kTestAdminToken)},
      {"SLUICE_API_URL", fmt::format("http://127.0.0.1:{}", gateway.api_port())},
      {"SLUICE_API_KEYS", fmt::format("{},{}", kAcmeKey, kGlobexKey)},
      {"CHROMIUM", chromium},
      {"ARTIFACTS", artifacts}};
  if (const char* update = std::getenv("SLUICE_UPDATE_README_SCREENSHOT"); update && std::string(update) == "1") {
    env.emplace_back("README_SCREENSHOT", kSource + "/docs/img/console.png");
  }
  const auto result = run_command({"node", dir + "/console_e2e.mjs"}, 90000ms, env, dir);
  EXPECT_FALSE(result.timed_out) << result.out << result.err;
  EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
  EXPECT_NE(result.out.find("console e2e: all passed"), std::string::npos) << result.out << result.err;
  EXPECT_TRUE(fs::exists(artifacts + "/console-2-failover.png"));
  EXPECT_EQ(gateway.stop(), 0);
}

}  // namespace
}  // namespace sluice::itest
