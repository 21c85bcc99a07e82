#pragma once
/// `sluice drill`: its options and entry point (the work is in src/sluice/drill/).
#include <CLI/CLI.hpp>

#include <string>

namespace sluice::app {

struct DrillCommandOptions {
  std::string config_path;
  std::string scenarios = "all";
  std::string model;            // default: the config's first model
  double rate = 20;             // requests per second
  double stream_share = 0.5;
  std::int64_t max_tokens = 32;
  std::string warmup = "1s";
  std::string observe;          // default: each scenario's SLA + 10 s
  std::string settle_timeout = "180s";
  std::string request_timeout = "30s";
  std::string wake_time;        // default: the sim profile's wake_s ÷ speedup
  std::string json_path;
  bool markdown = false;
  std::string gateway_url;      // drill a running gateway instead of starting one
  std::string admin_url;
  std::string api_key;
  std::string gateway_log;      // keep the started gateway's log here
};

/// Adds the options and help of `sluice drill` to `command`.
void add_drill_options(CLI::App& command, DrillCommandOptions& options);
/// Exit status: 0 every target met, 1 a target missed (or the drill could
/// not run: the gateway did not start, the admin API failed), 2 bad options
/// or config.
int run_drill_command(const DrillCommandOptions& options);

}  // namespace sluice::app
