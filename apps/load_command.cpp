// `sluice load`: reads a workload file, runs it open-loop against a live
// gateway, prints the per-tenant report and writes the CSV/SVG series.
#include "load_command.h"

#include <fmt/format.h>

#include <fstream>

#include "sluice/config/loader.h"
#include "sluice/core/duration_text.h"
#include "sluice/loadgen/load_runner.h"
#include "sluice/workload/report.h"
#include "sluice/workload/workload.h"

namespace sluice::app {
namespace {

constexpr int kExitOk = 0;
constexpr int kExitUnreachable = 1;
constexpr int kExitUsage = 2;

std::optional<double> seconds_of(const std::string& text, const char* option) {
  const auto d = core::parse_duration(text);
  if (!d || *d <= core::Duration::zero()) {
    fmt::print(stderr, "sluice load: {}: expected a positive duration such as \"30s\", got \"{}\"\n", option, text);
    return std::nullopt;
  }
  return core::to_seconds(*d);
}

/// Shortens (or lengthens) the run; tenant windows that ended with the run
/// still do, the others are cut at the new end.
bool override_duration(workload::Workload& w, double duration_s) {
  if (w.warmup_s >= duration_s) {
    fmt::print(stderr, "sluice load: --duration: must be longer than the workload's warmup ({}s)\n", w.warmup_s);
    return false;
  }
  for (auto& t : w.tenants) {
    if (t.stop_s >= w.duration_s || t.stop_s > duration_s) t.stop_s = duration_s;
  }
  w.duration_s = duration_s;
  return true;
}

bool write_file(const std::string& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
  out.close();
  if (!out) {
    fmt::print(stderr, "sluice load: cannot write {}\n", path);
    return false;
  }
  return true;
}

void print_notes(const loadgen::LoadStats& stats, const workload::Workload& w) {
  std::string dropped;
  for (std::size_t i = 0; i < stats.dropped.size(); ++i) {
    if (stats.dropped[i] == 0) continue;
    dropped += fmt::format("{}{} {}", dropped.empty() ? "" : ", ", w.tenants[i].tenant, stats.dropped[i]);
  }
  if (!dropped.empty()) {
    fmt::print("dropped by the load generator (over --max-in-flight, never sent): {}\n", dropped);
  }
  if (!stats.statuses.empty()) {
    std::string statuses;
    for (const auto& [status, n] : stats.statuses) {
      statuses += fmt::format("{}{}: {}", statuses.empty() ? "" : ", ", status, n);
    }
    fmt::print("error statuses: {}\n", statuses);
  }
  if (stats.broken_answers > 0) {
    fmt::print("answers broken off (error event mid-stream, or the connection lost mid-body): {}\n",
               stats.broken_answers);
  }
  if (stats.transport_errors > 0) {
    fmt::print("transport errors: {} (first: {})\n", stats.transport_errors, stats.first_transport_error);
  }
  if (stats.timed_out > 0) fmt::print("timed out (--timeout, or cut off at the end of --drain): {}\n", stats.timed_out);
  if (stats.max_send_lag_s > 0.05) {
    fmt::print("note: sends fell up to {:.0f} ms behind schedule (the load generator is short of CPU)\n",
               stats.max_send_lag_s * 1000);
  }
  fmt::print("requests over the whole run: sent {}, ok {}, refused {}, errors {}; connections opened {}\n", stats.sent,
             stats.ok, stats.refused, stats.errors, stats.connections_opened);
}

}  // namespace

void add_load_options(CLI::App& command, LoadCommandOptions& o) {
  command.add_option("-w,--workload", o.workload_path, "Workload file (YAML; see docs/load.md)")
      ->required()
      ->type_name("FILE");
  command.add_option("--url", o.url, "The gateway's base URL")->capture_default_str()->type_name("URL");
  command.add_option("--csv", o.csv_path, "Write the service time series (per second × tenant) as CSV")
      ->type_name("FILE");
  command.add_option("--chart", o.chart_path, "Write the cumulative service / weight chart as SVG")
      ->type_name("FILE.svg");
  command.add_option("--duration", o.duration, "Run for this long instead of the workload's duration, e.g. 30s")
      ->type_name("DURATION");
  command.add_option("--max-in-flight", o.max_in_flight,
                     "Most unfinished requests; later arrivals are dropped and counted, never delayed")
      ->capture_default_str()
      ->check(CLI::PositiveNumber)
      ->type_name("N");
  command.add_option("--connections", o.connections, "Idle keep-alive connections kept for reuse")
      ->capture_default_str()
      ->check(CLI::PositiveNumber)
      ->type_name("N");
  command.add_option("--timeout", o.timeout, "Longest a request may take")
      ->capture_default_str()
      ->type_name("DURATION");
  command.add_option("--drain", o.drain, "After the last arrival, how long unfinished requests may still run")
      ->capture_default_str()
      ->type_name("DURATION");
  command.add_option("--gateway-config", o.gateway_config,
                     "The gateway's config file: tenant weights for the weighted figures (default: all 1)")
      ->type_name("FILE");
  command.add_flag("-q,--quiet", o.quiet, "No progress line on stderr");
  command.footer(
      "Sends every arrival of the workload at its scheduled time, whether or not earlier requests have\n"
      "answered (open loop), over keep-alive connections. Prompts are sized so that the gateway's\n"
      "input-token estimate equals the workload's input_tokens; max_tokens = output_tokens.\n"
      "Prints one row per tenant (measured window: warmup to duration): requests, refusals by reason,\n"
      "tokens/s, weighted service/s and share, TTFT and end-to-end percentiles, whether the tenant\n"
      "stayed backlogged; then Jain's index and the max weighted service gap over backlogged tenants.\n\n"
      "Example:\n"
      "  sluice serve -c examples/fairness.yaml &\n"
      "  sluice load -w examples/workloads/weights-1-2-3-4.yaml --gateway-config examples/fairness.yaml \\\n"
      "              --csv weights.csv --chart weights.svg\n\n"
      "Exit status: 0 the run completed (429s included), 1 the gateway could not be reached,\n"
      "2 bad options or workload file. Docs: docs/load.md.");
}

int run_load_command(const LoadCommandOptions& o) {
  auto loaded = workload::load_workload_file(o.workload_path);
  if (!loaded) {
    for (const auto& e : loaded.error()) fmt::print(stderr, "{}\n", e);
    fmt::print(stderr, "{}: {} error{}\n", o.workload_path, loaded.error().size(), loaded.error().size() == 1 ? "" : "s");
    return kExitUsage;
  }
  workload::Workload w = std::move(*loaded);
  bool usable = true;
  for (std::size_t i = 0; i < w.tenants.size(); ++i) {
    if (w.tenants[i].api_key.empty()) {
      fmt::print(stderr, "{}: tenants[{}].api_key: required by sluice load (tenant {})\n", o.workload_path, i,
                 w.tenants[i].tenant);
      usable = false;
    }
  }
  if (!usable) return kExitUsage;

  loadgen::LoadOptions options;
  auto target = loadgen::parse_gateway_url(o.url);
  if (!target) {
    fmt::print(stderr, "sluice load: --url: {}\n", target.error());
    return kExitUsage;
  }
  options.target = *target;
  options.max_in_flight = o.max_in_flight;
  options.max_idle_connections = o.connections;
  options.progress = !o.quiet;
  const auto timeout = seconds_of(o.timeout, "--timeout");
  const auto drain = seconds_of(o.drain, "--drain");
  if (!timeout || !drain) return kExitUsage;
  options.request_timeout_s = *timeout;
  options.drain_s = *drain;
  if (!o.duration.empty()) {
    const auto duration = seconds_of(o.duration, "--duration");
    if (!duration || !override_duration(w, *duration)) return kExitUsage;
  }
  if (!o.gateway_config.empty()) {
    auto config = config::load_config_file(o.gateway_config);
    if (!config) {
      for (const auto& e : config.error()) fmt::print(stderr, "{}\n", e.to_string());
      return kExitUsage;
    }
    for (const auto& t : config->tenants) options.weights[t.id] = t.weight;
  }

  if (!o.quiet) {
    fmt::print(stderr, "sluice load: {} tenant{} for {:g}s against {}\n", w.tenants.size(),
               w.tenants.size() == 1 ? "" : "s", w.duration_s, o.url);
  }
  auto result = loadgen::run_load(w, options);
  if (!result) {
    fmt::print(stderr, "sluice load: {}\n", result.error());
    return kExitUnreachable;
  }
  const loadgen::LoadStats& stats = result->stats;
  if (stats.sent > 0 && stats.responses == 0) {
    fmt::print(stderr, "sluice load: no request got an answer from {} ({})\n", o.url, stats.first_transport_error);
    return kExitUnreachable;
  }

  fmt::print("{}", workload::format_report(workload::build_report(result->recorder, "load")));
  print_notes(stats, w);
  bool written = true;
  if (!o.csv_path.empty()) written = write_file(o.csv_path, workload::service_csv(result->recorder)) && written;
  if (!o.chart_path.empty()) {
    const std::string title = fmt::format("sluice load: {}", w.source_path);
    written = write_file(o.chart_path, workload::service_svg(result->recorder, title)) && written;
  }
  return written ? kExitOk : kExitUnreachable;
}

}  // namespace sluice::app
