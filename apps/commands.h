#pragma once
/// Subcommands of the one `sluice` binary.
#include <string>

namespace sluice::app {

struct ServeOptions {
  std::string config_path;
  bool quiet = false;  // no banner (tests)
};

int run_serve(const ServeOptions& options);

struct SimulateOptions {
  std::string config_path;
  std::string workload_path;
  std::string policy = "config";  // fcfs | round_robin | vtc | config (each model's own)
  std::string compare;            // "fcfs,vtc": run each, print side by side
  int instances = 0;              // > 0: replaces every model's instance count
  double duration_s = 0;          // > 0: replaces the workload's duration
  std::string csv_path;
  std::string chart_path;
};

int run_simulate(const SimulateOptions& options);
int run_check_config(const std::string& path);

}  // namespace sluice::app
