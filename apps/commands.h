#pragma once
/// Subcommands of the one `sluice` binary.
#include <functional>
#include <string>

namespace CLI {
class App;
}

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
  int replicas = 0;               // > 0: replaces the workload's replicas
  std::string replica_sync;       // non-empty: replaces the workload's replica_sync ("0s": none)
  std::string csv_path;
  std::string chart_path;
};

int run_simulate(const SimulateOptions& options);
int run_check_config(const std::string& path);

/// `sluice admin …` (admin_command.cpp): the command, and what runs the
/// subcommand that was parsed. Exit status: 0 done, 1 the API refused,
/// 2 the admin API could not be reached or bad usage.
struct AdminCommand {
  CLI::App* command = nullptr;
  std::function<int()> run;
};
AdminCommand add_admin_command(CLI::App& app);
int run_migrate(const std::string& config_path);

}  // namespace sluice::app
