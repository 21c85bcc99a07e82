#pragma once
/// `sluice load`: its options and entry point.
#include <CLI/CLI.hpp>

#include <cstddef>
#include <string>

namespace sluice::app {

struct LoadCommandOptions {
  std::string workload_path;
  std::string url = "http://127.0.0.1:8080";
  std::string csv_path;
  std::string chart_path;
  std::string duration;         // overrides the workload's, e.g. "30s"
  std::size_t max_in_flight = 2000;
  std::size_t connections = 512;
  std::string timeout = "120s";
  std::string drain = "30s";
  std::string gateway_config;   // tenant weights from the gateway's config
  bool quiet = false;
};

/// Adds the options and help of `sluice load` to `command`.
void add_load_options(CLI::App& command, LoadCommandOptions& options);
/// Exit status: 0 the run completed (refusals included), 1 the gateway could
/// not be reached (or an output file not written), 2 bad options or workload.
int run_load_command(const LoadCommandOptions& options);

}  // namespace sluice::app
