// A real Prometheus (Debian's package) scrapes a live gateway with a
// simulated fleet and evaluates deploy/prometheus/alerts.yaml: faults
// injected through the fleet make the relevant alerts pending, then firing,
// as seen through Prometheus's HTTP API; and every query of the Grafana
// dashboards in deploy/grafana/ returns series from that Prometheus.
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include <fmt/format.h>

#include "harness.h"

namespace sluice::itest {
namespace {

namespace fs = std::filesystem;

/// Absolute path of `name` found in $PATH, or "".
std::string find_in_path(std::string_view name) {
  const char* path = std::getenv("PATH");
  std::istringstream dirs(path ? path : "/usr/bin:/bin");
  for (std::string dir; std::getline(dirs, dir, ':');) {
    const fs::path p = fs::path(dir) / name;
    if (!dir.empty() && ::access(p.c_str(), X_OK) == 0) return p.string();
  }
  return {};
}

/// A loopback port free right now (Prometheus cannot listen on port 0 and
/// say which port it got, so the test picks one).
std::uint16_t free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

/// Percent-encodes a query parameter value.
std::string url_encode(std::string_view s) {
  std::string out;
  for (const unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

/// `prometheus` on a loopback port with its data in a temporary directory;
/// killed on destruction if still running.
class PrometheusServer {
 public:
  PrometheusServer(std::string binary, std::string config_yaml, std::string rules_yaml)
      : binary_(std::move(binary)) {
    dir_.write("rules.yaml", rules_yaml);
    config_ = dir_.write("prometheus.yml", config_yaml);
  }
  ~PrometheusServer() { stop(); }

  bool start(Duration timeout) {
    port_ = free_port();
    const std::vector<std::string> argv{binary_, "--config.file=" + config_, "--storage.tsdb.path=" + dir_.path() + "/data",
                                        fmt::format("--web.listen-address=127.0.0.1:{}", port_),
                                        "--storage.tsdb.retention.time=1h", "--log.level=warn"};
    const std::string log = dir_.path() + "/prometheus.log";
    const pid_t parent = ::getpid();
    pid_ = ::fork();
    if (pid_ == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (::getppid() != parent) ::_exit(126);
      const int out = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (out < 0) ::_exit(126);
      ::dup2(out, STDOUT_FILENO);
      ::dup2(out, STDERR_FILENO);
      std::vector<char*> args;
      for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
      args.push_back(nullptr);
      ::execv(args[0], args.data());
      ::_exit(127);
    }
    if (pid_ < 0) return false;
    return wait_until([&] { return get(port_, "/-/ready").status == 200 || !running(); }, timeout, 100ms) &&
           running();
  }

  bool running() {
    if (pid_ <= 0) return false;
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return false;
    }
    return true;
  }

  void stop() {
    if (!running()) return;
    ::kill(pid_, SIGTERM);
    if (!wait_until([&] { return !running(); }, 10000ms, 50ms)) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
      pid_ = -1;
    }
  }

  std::uint16_t port() const { return port_; }
  std::string log() const { return read_file(dir_.path() + "/prometheus.log"); }

  /// GET /api/v1/<path>; the JSON body, or a discarded value.
  Json api(const std::string& path) const {
    const Response r = get(port_, "/api/v1/" + path, {}, 10000ms);
    return r.status == 200 ? r.json() : Json(Json::value_t::discarded);
  }
  /// An instant query's result (an array), or nullopt with `error` set.
  std::optional<Json> query(const std::string& promql, std::string& error) const {
    const Response r = get(port_, "/api/v1/query?query=" + url_encode(promql), {}, 10000ms);
    const Json j = r.json();
    if (r.status != 200 || j.is_discarded() || j.value("status", "") != "success") {
      error = fmt::format("status {}: {}", r.status, r.body.substr(0, 300));
      return std::nullopt;
    }
    return j["data"]["result"];
  }

 private:
  TempDir dir_;
  std::string binary_;
  std::string config_;
  std::uint16_t port_ = 0;
  pid_t pid_ = -1;
};

/// The fleet: `small` serves on two instances with a hot and a warm standby
/// and an RTO target of 1 ms (so any failover is slower than its target);
/// `solo` serves on one instance with no standby. globex may send 3
/// requests a minute (so there are refusals), acme has a token budget.
std::string gateway_config() {
  return "listen: {api: 127.0.0.1:0, admin: 127.0.0.1:0}\n" + admin_yaml() +
         "server: {access_log: \"\", retry: {retries: 3, retry_on: [connect_failure, refused, reset, gateway_error, 5xx]}}\n" +
         two_zone_fleet_yaml(2) +
         "tenants:\n"
         "  - id: acme\n"
         "    api_keys: [sha256:d4ffc8c0325f7e8e971bb4d7bc9f6a78c97920b5ac57b24380e53b6c7a96bc13]\n"
         "    models: [\"*\"]\n"
         "    weight: 2\n"
         "    limits: {rpm: 100000}\n"
         "    budgets: [{limit: 10000000, unit: tokens, period: day}]\n"
         "  - id: globex\n"
         "    api_keys: [sha256:bbb8fab5ab2c83254e4969c119cdbb68880ee066c42a36223f8ac83fff2d5b96]\n"
         "    models: [\"*\"]\n"
         "    limits: {rpm: 3}\n"
         "models:\n"
         "  - name: small\n"
         "    source: sim\n"
         "    sim: {instances: 2, profile: llama-3.1-8b-h100, speedup: 20}\n"
         "    recovery: {standby: {hot: 1, warm: 1}, rto: 1ms, preferred_zones: [zone-a], standby_zone: zone-b}\n"
         "  - name: solo\n"
         "    source: sim\n"
         "    sim: {instances: 1, profile: llama-3.1-8b-h100, speedup: 20}\n";
}

/// alerts.yaml with every `for:` shortened to 1s, so the alerts go pending
/// and then firing within the test (the conditions are the file's own).
std::string rules_for_test(const std::string& rules) {
  static const std::regex kFor(R"((\n\s+for:\s*)\S+)");
  return std::regex_replace(rules, kFor, "$011s");
}

/// Every PromQL expression of a Grafana dashboard: panel targets (rows'
/// nested panels too), and the metric selectors of label_values() variables.
void collect_queries(const Json& node, std::vector<std::string>& out) {
  if (node.is_object()) {
    if (node.contains("expr") && node["expr"].is_string()) out.push_back(node["expr"].get<std::string>());
    if (node.contains("definition") && node["definition"].is_string()) {
      static const std::regex kLabelValues(R"(^label_values\((.*),\s*[a-z_]+\)$)");
      std::smatch m;
      const std::string def = node["definition"].get<std::string>();
      if (std::regex_match(def, m, kLabelValues)) out.push_back(m[1].str());
    }
    for (const auto& [key, value] : node.items()) {
      if (key != "expr" && key != "definition") collect_queries(value, out);
    }
  } else if (node.is_array()) {
    for (const auto& v : node) collect_queries(v, out);
  }
}

/// The dashboard variables replaced as Grafana would with "All" selected.
std::string substitute_variables(std::string q) {
  for (const auto& [var, value] : std::vector<std::pair<std::string, std::string>>{
           {"$__rate_interval", "15s"}, {"$__range", "5m"}, {"$job", ".*"}, {"$tenant", ".*"}, {"$model", ".*"}}) {
    for (auto at = q.find(var); at != std::string::npos; at = q.find(var, at + value.size())) q.replace(at, var.size(), value);
  }
  return q;
}

Json fleet(const Gateway& g) { return get(g.admin_port(), "/admin/fleet").json(); }

/// Instances of `model` that serve (hot, role serving).
std::vector<std::string> serving(const Gateway& g, const std::string& model) {
  std::vector<std::string> out;
  const Json f = fleet(g);
  if (!f.is_object() || !f.contains("instances")) return out;
  for (const auto& i : f["instances"]) {
    if (i.value("model", "") == model && i.value("state", "") == "hot" && i.value("role", "") == "serving") {
      out.push_back(i.value("id", ""));
    }
  }
  return out;
}

bool inject(const Gateway& g, const Json& fault) {
  const Response r = post_json(g.admin_port(), "/admin/fleet/faults", fault, {},
                               {{"Authorization", "Bearer " + std::string(kTestAdminToken)}});
  return r.status == 200;
}

/// When an alert (by name and one label) was first seen pending and firing.
struct AlertSeen {
  std::optional<Duration> pending;
  std::optional<Duration> firing;
};

TEST(PrometheusTest, FleetFaultsFireAlertsAndDashboardQueriesReturnSeries) {
  const std::string prometheus = find_in_path("prometheus");
  if (prometheus.empty()) GTEST_SKIP() << "prometheus not installed (Debian package prometheus; scripts/install-deps.sh --test)";
  const fs::path source = SLUICE_SOURCE_DIR;

  Gateway gateway(gateway_config());
  ASSERT_TRUE(gateway.start(60000ms)) << gateway.error();
  ASSERT_TRUE(wait_until([&] { return serving(gateway, "small").size() == 2 && serving(gateway, "solo").size() == 1; },
                         30000ms, 100ms))
      << fleet(gateway).dump(2);

  const std::string scrape = fmt::format(
      "global: {{scrape_interval: 1s, evaluation_interval: 1s, scrape_timeout: 900ms}}\n"
      "rule_files: [rules.yaml]\n"
      "scrape_configs:\n"
      "  - job_name: sluice\n"
      "    static_configs: [{{targets: [\"127.0.0.1:{}\"]}}]\n",
      gateway.admin_port());
  PrometheusServer prom(prometheus, scrape, rules_for_test(read_file((source / "deploy/prometheus/alerts.yaml").string())));
  ASSERT_TRUE(prom.start(30000ms)) << prom.log();
  std::string error;
  ASSERT_TRUE(wait_until([&] {
    const auto r = prom.query("up{job=\"sluice\"} == 1", error);
    return r && !r->empty();
  }, 20000ms, 200ms)) << "Prometheus never scraped the gateway: " << error << "\n" << prom.log();
  Json rules = prom.api("rules");
  ASSERT_FALSE(rules.is_discarded());
  std::size_t loaded = 0;
  for (const auto& group : rules["data"]["groups"]) loaded += group["rules"].size();
  EXPECT_EQ(loaded, 11u) << rules.dump(2);

  // Traffic: acme streams and unary requests on both models (tokens, TTFT,
  // queue wait, budget spend); globex past its 3 requests a minute.
  Traffic small(gateway.api_port(), 2, 2, "small", 8, 5000ms);
  Traffic solo(gateway.api_port(), 1, 0, "solo", 8, 5000ms);
  for (int i = 0; i < 6; ++i) post_json(gateway.api_port(), "/v1/chat/completions", chat_body("small", "hi", 4), kGlobexKey);
  std::this_thread::sleep_for(3000ms);  // a few scrapes with traffic

  // Faults through the fleet: a serving instance of small crashes (a hot
  // standby takes over: a failover slower than its 1 ms RTO); solo's only
  // instance crashes and its model files are corrupt, so it stays down.
  const auto small_victims = serving(gateway, "small");
  const auto solo_victims = serving(gateway, "solo");
  ASSERT_FALSE(small_victims.empty());
  ASSERT_FALSE(solo_victims.empty());
  ASSERT_TRUE(inject(gateway, {{"kind", "corrupt_model"}, {"model", "solo"}, {"count", 100}}));
  const auto injected = Clock::now();
  ASSERT_TRUE(inject(gateway, {{"kind", "crash"}, {"instance", small_victims.front()}}));
  ASSERT_TRUE(inject(gateway, {{"kind", "crash"}, {"instance", solo_victims.front()}}));

  // Watch /api/v1/alerts until both alerts fire.
  std::map<std::string, AlertSeen> seen;  // "name{model}" → times
  const std::vector<std::string> want{"SluiceModelNoServingInstance{solo}", "SluiceFailoverSlowerThanRTO{small}"};
  wait_until([&] {
    Json alerts = prom.api("alerts");
    if (alerts.is_discarded() || !alerts.contains("data")) return false;
    const auto at = std::chrono::duration_cast<Duration>(Clock::now() - injected);
    for (const auto& a : alerts["data"]["alerts"]) {
      const Json labels = a.value("labels", Json::object());
      const std::string key = labels.value("alertname", "") + "{" + labels.value("model", "") + "}";
      auto& s = seen[key];
      if (a.value("state", "") == "pending" && !s.pending) s.pending = at;
      if (a.value("state", "") == "firing" && !s.firing) s.firing = at;
    }
    return std::all_of(want.begin(), want.end(), [&](const std::string& k) { return seen[k].firing.has_value(); });
  }, 40000ms, 100ms);
  small.stop();
  solo.stop();
  std::string report;
  for (const auto& [key, s] : seen) {
    report += fmt::format("\n  {}: pending at {} ms, firing at {} ms after the faults", key,
                          s.pending ? std::to_string(s.pending->count()) : "-",
                          s.firing ? std::to_string(s.firing->count()) : "-");
  }
  std::printf("[ measured ] alerts seen through Prometheus:%s\n", report.c_str());
  for (const auto& k : want) {
    EXPECT_TRUE(seen[k].firing.has_value()) << k << " never fired; seen:" << report << "\n" << fleet(gateway).dump(1);
    EXPECT_TRUE(seen[k].pending.has_value() || seen[k].firing.has_value()) << k;
  }
  // Unrelated alerts stay quiet: a healthy model is never reported down.
  EXPECT_FALSE(seen["SluiceModelNoServingInstance{small}"].firing.has_value()) << report;

  // Every dashboard query returns series.
  std::vector<std::string> queries;
  std::size_t dashboards = 0;
  for (const auto& entry : fs::directory_iterator(source / "deploy/grafana")) {
    if (entry.path().extension() != ".json") continue;
    const Json d = Json::parse(read_file(entry.path().string()), nullptr, false);
    ASSERT_FALSE(d.is_discarded()) << entry.path() << " is not JSON";
    ++dashboards;
    collect_queries(d, queries);
  }
  EXPECT_GE(dashboards, 4u);
  ASSERT_GE(queries.size(), 40u);
  // Some series appear a little later than the alerts (restore times come
  // once the standbys are back): queries still empty are asked again until
  // a deadline; a query Prometheus rejects fails at once.
  std::vector<std::string> empty;
  for (const auto& q : queries) empty.push_back(substitute_variables(q));
  std::vector<std::string> rejected;
  wait_until([&] {
    std::vector<std::string> still;
    for (const auto& promql : empty) {
      const auto result = prom.query(promql, error);
      if (!result) {
        rejected.push_back(promql + "\n    error: " + error);
      } else if (result->empty()) {
        still.push_back(promql);
      }
    }
    empty = std::move(still);
    return empty.empty();
  }, 20000ms, 1000ms);
  EXPECT_TRUE(rejected.empty()) << rejected.front();
  std::string list;
  for (const auto& q : empty) list += "\n  " + q;
  EXPECT_TRUE(empty.empty()) << empty.size() << " of " << queries.size() << " dashboard queries returned no series:" << list;
  std::printf("[ measured ] %zu dashboards, %zu queries, %zu without series\n", dashboards, queries.size(), empty.size());
  prom.stop();
}

}  // namespace
}  // namespace sluice::itest
