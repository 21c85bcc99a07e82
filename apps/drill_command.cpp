// `sluice drill`: reads the config, starts the gateway (or uses a running
// one), runs each scenario under load and prints the results beside the
// targets.
#include "drill_command.h"

#include <unistd.h>

#include <climits>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "sluice/config/loader.h"
#include "sluice/config/value_text.h"
#include "sluice/core/duration_text.h"
#include "sluice/drill/api_key.h"
#include "sluice/drill/drill_runner.h"
#include "sluice/drill/gateway_process.h"
#include "sluice/drill/report.h"
#include "sluice/engine/profile.h"
#include "sluice/loadgen/load_runner.h"

namespace sluice::app {
namespace {

constexpr int kExitPass = 0;
constexpr int kExitMiss = 1;
constexpr int kExitUsage = 2;

/// A problem that ends the drill: its message and exit status.
struct Stop {
  int status;
  std::string message;
};

std::expected<double, Stop> seconds_of(const std::string& text, const char* option, bool zero_ok = false) {
  const auto d = core::parse_duration(text);
  if (!d || *d < core::Duration::zero() || (!zero_ok && *d == core::Duration::zero())) {
    return std::unexpected(Stop{kExitUsage, fmt::format("{}: expected a {} duration such as \"20s\", got \"{}\"", option,
                                                        zero_ok ? "non-negative" : "positive", text)});
  }
  return core::to_seconds(*d);
}

std::expected<std::string, Stop> read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::unexpected(Stop{kExitUsage, fmt::format("cannot read {}", path)});
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

/// A drill that starts its own gateway gives every unset `env:` key of the
/// config a fresh value, so that the config loads and the load has a key.
void fill_missing_env_keys(const std::string& yaml_text) {
  for (const std::string& name : drill::env_key_names(yaml_text)) {
    const char* value = std::getenv(name.c_str());
    if (value != nullptr && *value != '\0') continue;
    ::setenv(name.c_str(), drill::fresh_api_key().c_str(), 1);
    fmt::print(stderr, "sluice drill: ${} was not set; using a fresh key for this drill\n", name);
  }
}

std::expected<config::Config, Stop> load_config(const DrillCommandOptions& o) {
  auto text = read_text(o.config_path);
  if (!text) return std::unexpected(text.error());
  if (o.gateway_url.empty()) {
    fill_missing_env_keys(*text);
    // The gateway it starts takes its bootstrap admin token from here (the
    // example configs say {env: SLUICE_ADMIN_TOKEN}), and so do the drill's faults.
    const char* token = std::getenv("SLUICE_ADMIN_TOKEN");
    if (token == nullptr || *token == '\0') ::setenv("SLUICE_ADMIN_TOKEN", ("sla-drill-" + drill::fresh_api_key()).c_str(), 1);
  }
  auto loaded = config::load_config_file(o.config_path);
  if (!loaded) {
    std::string all;
    for (const auto& e : loaded.error()) all += (all.empty() ? "" : "\n") + e.to_string();
    return std::unexpected(Stop{kExitUsage, all});
  }
  return std::move(*loaded);
}

/// The model's wake time in wall seconds: --wake-time, else the sim
/// profile's wake_s divided by the model's speedup.
std::expected<double, Stop> wake_seconds(const DrillCommandOptions& o, const config::Model& model) {
  if (!o.wake_time.empty()) return seconds_of(o.wake_time, "--wake-time", true);
  if (model.source != config::ModelSource::kSim) {
    fmt::print(stderr, "sluice drill: model {} is not simulated: its wake time is unknown, the warm target assumes 0 s "
               "(pass --wake-time)\n", model.name);
    return 0.0;
  }
  const engine::EngineProfile* profile = engine::find_profile(model.sim.profile);
  if (profile == nullptr) return std::unexpected(Stop{kExitUsage, fmt::format("unknown sim profile {}", model.sim.profile)});
  return profile->wake_s / model.sim.speedup;
}

/// Everything but the gateway's address, from the options and the config.
std::expected<drill::DrillSettings, Stop> settings_from(const DrillCommandOptions& o, const config::Config& cfg) {
  drill::DrillSettings s;
  auto scenarios = drill::parse_scenarios(o.scenarios);
  if (!scenarios) return std::unexpected(Stop{kExitUsage, "--scenario: " + scenarios.error()});
  s.scenarios = std::move(*scenarios);
  if (cfg.models.empty()) return std::unexpected(Stop{kExitUsage, "the config has no model to drill"});
  const config::Model* model = o.model.empty() ? &cfg.models.front() : cfg.find_model(o.model);
  if (model == nullptr) return std::unexpected(Stop{kExitUsage, fmt::format("--model: the config has no model {}", o.model)});
  s.load.model = model->name;
  if (!o.api_key.empty()) {
    s.load.api_key = o.api_key;
  } else {
    auto key = drill::drill_api_key(cfg, model->name, [](const char* n) { return std::getenv(n); });
    if (!key) return std::unexpected(Stop{kExitUsage, key.error()});
    s.load.api_key = std::move(*key);
  }
  s.load.rate = o.rate;
  s.load.stream_share = o.stream_share;
  s.load.max_tokens = o.max_tokens;
  auto request_timeout = seconds_of(o.request_timeout, "--request-timeout");
  auto warmup = seconds_of(o.warmup, "--warmup", true);
  auto settle = seconds_of(o.settle_timeout, "--settle-timeout");
  auto wake = wake_seconds(o, *model);
  for (const auto* r : {&request_timeout, &warmup, &settle, &wake}) {
    if (!*r) return std::unexpected(r->error());
  }
  s.load.request_timeout_s = *request_timeout;
  s.warmup_s = *warmup;
  s.settle_timeout_s = *settle;
  s.wake_s = *wake;
  if (!o.observe.empty()) {
    auto observe = seconds_of(o.observe, "--observe");
    if (!observe) return std::unexpected(observe.error());
    s.observe_s = *observe;
  }
  if (const std::string problem = drill::check_load_plan(s.load); !problem.empty()) {
    return std::unexpected(Stop{kExitUsage, problem});
  }
  return s;
}

std::string own_executable() {
  char path[PATH_MAX];
  const ssize_t n = ::readlink("/proc/self/exe", path, sizeof(path) - 1);
  return n > 0 ? std::string(path, static_cast<std::size_t>(n)) : std::string("/proc/self/exe");
}

std::string temp_log_path() {
  return (std::filesystem::temp_directory_path() / fmt::format("sluice-drill-gateway-{}.log", ::getpid())).string();
}

/// The gateway's API and admin addresses: the options', or those of a
/// gateway started now (kept alive in `child`).
std::expected<drill::GatewayAddresses, Stop> gateway_addresses(const DrillCommandOptions& o, double start_timeout_s,
                                                               std::unique_ptr<drill::GatewayProcess>& child,
                                                               const std::string& log_path) {
  if (!o.gateway_url.empty()) {
    auto api = loadgen::parse_gateway_url(o.gateway_url);
    if (!api) return std::unexpected(Stop{kExitUsage, "--gateway: " + api.error()});
    if (!api->prefix.empty()) return std::unexpected(Stop{kExitUsage, "--gateway: a path prefix is not supported"});
    auto admin = config::parse_http_url(o.admin_url);
    if (!admin) return std::unexpected(Stop{kExitUsage, fmt::format("--admin: expected http://host:port, got \"{}\"", o.admin_url)});
    return drill::GatewayAddresses{{api->host, api->port}, {admin->endpoint.host, admin->endpoint.port}};
  }
  fmt::print(stderr, "sluice drill: starting sluice serve -c {} (log: {})\n", o.config_path, log_path);
  const auto timeout = std::chrono::milliseconds(static_cast<std::int64_t>(start_timeout_s * 1000));
  auto started = drill::GatewayProcess::start(own_executable(), o.config_path, log_path, timeout);
  if (!started) return std::unexpected(Stop{kExitMiss, started.error()});
  child = std::move(*started);
  return child->addresses();
}

bool write_file(const std::string& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
  out.close();
  return static_cast<bool>(out);
}

void print_results(const DrillCommandOptions& o, const std::vector<drill::ScenarioOutcome>& outcomes) {
  for (const auto& outcome : outcomes) {
    fmt::print("\n{}", o.markdown ? drill::render_scenario_markdown(outcome) : drill::render_scenario_text(outcome));
  }
  fmt::print("\n{}\n{}", o.markdown ? "### Summary\n" : "summary",
             o.markdown ? drill::render_summary_markdown(outcomes) : drill::render_summary_text(outcomes));
}

std::expected<int, Stop> run(const DrillCommandOptions& o) {
  if (o.gateway_url.empty() != o.admin_url.empty()) {
    return std::unexpected(
        Stop{kExitUsage, "--gateway and --admin go together: the API to load and the admin API to inject faults"});
  }
  auto cfg = load_config(o);
  if (!cfg) return std::unexpected(cfg.error());
  auto settings = settings_from(o, *cfg);
  if (!settings) return std::unexpected(settings.error());

  const std::string log_path = o.gateway_log.empty() ? temp_log_path() : o.gateway_log;
  std::unique_ptr<drill::GatewayProcess> child;
  auto addresses = gateway_addresses(o, settings->settle_timeout_s, child, log_path);
  if (!addresses) return std::unexpected(addresses.error());
  settings->load.target = loadgen::GatewayTarget{addresses->api.host, addresses->api.port, ""};
  const drill::AdminClient admin(addresses->admin.host, addresses->admin.port);

  fmt::print(stderr, "sluice drill: {} scenario(s) on model {} through {}:{} (admin {})\n", settings->scenarios.size(),
             settings->load.model, addresses->api.host, addresses->api.port, admin.address());
  const auto outcomes = drill::run_drill(admin, *settings, [](const std::string& line) {
    fmt::print(stderr, "sluice drill: {}\n", line);
  });
  print_results(o, outcomes);
  if (!o.json_path.empty() && !write_file(o.json_path, drill::render_json(outcomes) + "\n")) {
    fmt::print(stderr, "sluice drill: cannot write {}\n", o.json_path);
  }
  const bool passed = std::all_of(outcomes.begin(), outcomes.end(), [](const auto& x) { return x.passed(); });
  if (child) {
    child->stop(std::chrono::seconds(10));
    if (passed && o.gateway_log.empty()) {
      std::filesystem::remove(log_path);
    } else {
      fmt::print(stderr, "sluice drill: the gateway's log is in {}\n", log_path);
    }
  }
  return passed ? kExitPass : kExitMiss;
}

}  // namespace

void add_drill_options(CLI::App& command, DrillCommandOptions& o) {
  command.add_option("-c,--config", o.config_path, "The gateway config (fleet, models, tenants); see examples/drill.yaml")
      ->required()
      ->check(CLI::ExistingFile)
      ->type_name("FILE");
  command.add_option("--scenario", o.scenarios,
                     "Scenarios, comma-separated, or all: crash, kill, hang, freeze, error, gpu_fault, node_down, "
                     "node_kill, zone_outage, zone_kill, corrupt_model (kill, freeze, node_kill and zone_kill signal "
                     "the engine processes from outside the gateway)")
      ->capture_default_str()
      ->type_name("LIST");
  command.add_option("--model", o.model, "The model to drill (default: the config's first)")->type_name("NAME");
  command.add_option("--rate", o.rate, "Requests per second of the steady load")->capture_default_str()->type_name("R");
  command.add_option("--stream-share", o.stream_share, "Share of the requests that are streamed, 0..1")
      ->capture_default_str()
      ->type_name("X");
  command.add_option("--max-tokens", o.max_tokens, "Tokens every answer must have exactly (sent with ignore_eos)")
      ->capture_default_str()
      ->type_name("N");
  command.add_option("--warmup", o.warmup, "Load before the fault")->capture_default_str()->type_name("DURATION");
  command.add_option("--observe", o.observe,
                     "How long to watch for recovery after the fault (default: the scenario's SLA + 10s)")
      ->type_name("DURATION");
  command.add_option("--settle-timeout", o.settle_timeout,
                     "How long to wait for the gateway to start and the model to settle before each scenario")
      ->capture_default_str()
      ->type_name("DURATION");
  command.add_option("--request-timeout", o.request_timeout, "A request not answered completely by then has failed")
      ->capture_default_str()
      ->type_name("DURATION");
  command.add_option("--wake-time", o.wake_time,
                     "The model's wake-up time for the warm-standby target (default: the sim profile's wake time "
                     "divided by the model's speedup)")
      ->type_name("DURATION");
  command.add_option("--json", o.json_path, "Also write every figure and verdict as JSON")->type_name("FILE");
  command.add_flag("--markdown", o.markdown, "Print the tables as Markdown (for docs/recovery.md)");
  command.add_option("--gateway", o.gateway_url, "Drill a running gateway at this API URL instead of starting one")
      ->type_name("URL");
  command.add_option("--admin", o.admin_url, "That gateway's admin URL (with --gateway)")->type_name("URL");
  command.add_option("--api-key", o.api_key,
                     "API key of the load (default: the first key of the first tenant that may use the model, read "
                     "from its {env: NAME} variable)")
      ->type_name("KEY");
  command.add_option("--gateway-log", o.gateway_log,
                     "Keep the started gateway's log in this file (default: a temporary file, removed when all pass)")
      ->type_name("FILE");
  command.footer(
      "For each scenario: waits until the model is settled (serving at its minimum, standbys at policy),\n"
      "starts a steady load (non-streamed and streamed chat completions of exactly --max-tokens tokens),\n"
      "injects the fault on a serving instance through POST /admin/fleet/faults (node and zone scenarios:\n"
      "that instance's node or zone), keeps the load on until GET /admin/fleet shows the failover recovered\n"
      "(first success on the replacement) and restored (standbys back at policy), then clears the faults.\n"
      "kill, freeze, node_kill and zone_kill inject from outside the gateway instead, with kill(2) on the\n"
      "engine pids GET /admin/fleet shows: SIGKILL to the instance (kill), SIGSTOP to it (freeze: it answers\n"
      "nothing, /health included; SIGCONT when the scenario ends), SIGKILL to every engine on its node\n"
      "(node_kill) or in its zone (zone_kill).\n"
      "They need the drill on the gateway's host.\n"
      "Prints per scenario: time to detect, recover and restore, where the replacement came from, requests\n"
      "failed, streams broken, tokens lost or duplicated, the slowest request, beside the source design's SLA\n"
      "(crash, hang, 5xx < 6 s; GPU fault < 35 s; node down < 40 s; zone outage < 90 s; corrupt model < 61 s)\n"
      "and ours (hot standby: RTO < 1 s and no client-visible error; warm standby: RTO <= wake time + 1 s).\n\n"
      "Without --gateway it runs `sluice serve -c CONFIG --quiet` itself (same binary) and stops it at the\n"
      "end; tenant keys given as {env: NAME} that are not set get a fresh random key for the run.\n"
      "Admin calls send $SLUICE_ADMIN_TOKEN (an operator's or admin's token); when the drill starts the gateway\n"
      "and it is unset, it gets a fresh value, which the example configs take as their bootstrap token.\n\n"
      "Examples:\n  sluice drill -c examples/drill.yaml --scenario crash,node_down --markdown\n"
      "  sluice drill -c examples/drill-defaults.yaml --scenario kill,freeze,node_kill,zone_kill\n\n"
      "Exit status: 0 every target met, 1 a target missed or the drill could not run, 2 bad options or config.\n"
      "Docs: docs/recovery.md.");
}

int run_drill_command(const DrillCommandOptions& options) {
  auto status = run(options);
  if (status) return *status;
  fmt::print(stderr, "sluice drill: {}\n", status.error().message);
  return status.error().status;
}

}  // namespace sluice::app
