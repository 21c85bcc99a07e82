// sluice: one binary, subcommands.
#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "commands.h"
#include "drill_command.h"
#include "load_command.h"
#include "sluice/engine/sim_cli.h"

int main(int argc, char** argv) {
  CLI::App app{"sluice — a multi-tenant, multi-model LLM inference gateway and GPU-pool controller.\n"
               "Tenants call one OpenAI-compatible endpoint with their own API keys; sluice routes\n"
               "their requests to engine instances (vLLM, SGLang, llama.cpp, Ollama, or its own\n"
               "engine simulator).",
               "sluice"};
  app.require_subcommand(1);
  app.footer("Run `sluice <command> --help` for a command's options. Docs: README.md, docs/.");

  sluice::app::ServeOptions serve;
  auto* serve_cmd = app.add_subcommand("serve", "Run the gateway (and its simulated fleet) from a config file.");
  serve_cmd->add_option("-c,--config", serve.config_path, "YAML config file (see examples/quickstart.yaml)")
      ->required()
      ->check(CLI::ExistingFile);
  serve_cmd->add_flag("-q,--quiet", serve.quiet, "Do not print the how-to-call banner");
  serve_cmd->footer("Stops cleanly on SIGINT/SIGTERM: stops accepting, lets in-flight requests finish within\n"
                    "server.shutdown_grace, then stops every engine-sim child.");

  std::string check_path;
  auto* check_cmd = app.add_subcommand("check-config", "Validate a config file; print every error as file:line:col.");
  check_cmd->add_option("file", check_path, "YAML config file")->required();
  check_cmd->footer("Exit status: 0 valid, 2 invalid.");

  std::string migrate_path;
  auto* migrate_cmd = app.add_subcommand("migrate", "Apply the store's pending schema migrations (serve does it at start).");
  migrate_cmd->add_option("-c,--config", migrate_path, "YAML config file (its `store:` is migrated)")
      ->required()
      ->check(CLI::ExistingFile);
  migrate_cmd->footer("Exit status: 0 migrated or already current, 2 bad config, 1 the store refused or is unreachable\n"
                      "(including a database written by a newer sluice).");

  sluice::engine::SimServerOptions sim;
  auto* sim_cmd = app.add_subcommand("engine-sim", "Run the engine simulator: an OpenAI-compatible stand-in for vLLM.");
  sluice::engine::add_sim_server_options(*sim_cmd, sim);

  sluice::app::SimulateOptions simulate;
  auto* simulate_cmd = app.add_subcommand(
      "simulate", "Replay a workload through the real scheduler, quotas and picking in virtual time.");
  simulate_cmd->add_option("-c,--config", simulate.config_path, "Gateway config: tenants, weights, limits, sim models")
      ->required()
      ->check(CLI::ExistingFile);
  simulate_cmd->add_option("-w,--workload", simulate.workload_path, "Workload file (see docs/load.md)")
      ->required()
      ->check(CLI::ExistingFile);
  simulate_cmd->add_option("--policy", simulate.policy, "fcfs | round_robin | vtc | config (each model's own)")
      ->capture_default_str();
  simulate_cmd->add_option("--compare", simulate.compare, "Run several policies on the same arrivals, e.g. fcfs,vtc");
  simulate_cmd->add_option("--instances", simulate.instances, "Instances per model (replaces the config's)");
  simulate_cmd->add_option("--duration", simulate.duration_s, "Seconds of traffic (replaces the workload's)");
  simulate_cmd->add_option("--replicas", simulate.replicas,
                           "Gateway replicas, each with its own queues (replaces the workload's replicas)");
  simulate_cmd->add_option("--replica-sync", simulate.replica_sync,
                           "Fairness sync interval between replicas, e.g. 20ms; 0s = none (replaces replica_sync)");
  simulate_cmd->add_option("--csv", simulate.csv_path, "Write the service time series as CSV");
  simulate_cmd->add_option("--chart", simulate.chart_path, "Write the cumulative-service chart as SVG");
  simulate_cmd->footer(
      "Example:\n  sluice simulate -c examples/fairness.yaml -w examples/workloads/flood-10x.yaml --compare fcfs,vtc\n"
      "With --compare, --csv/--chart files get the policy name before the extension (out-vtc.svg).\n"
      "Exit status: 0 done, 2 bad config, workload or options.");

  sluice::app::LoadCommandOptions load;
  auto* load_cmd = app.add_subcommand("load", "Send a workload to a live gateway (open loop); report fairness and latency.");
  sluice::app::add_load_options(*load_cmd, load);

  sluice::app::DrillCommandOptions drill;
  auto* drill_cmd = app.add_subcommand(
      "drill", "Fail instances, nodes and zones under load; measure detection, recovery and client impact.");
  sluice::app::add_drill_options(*drill_cmd, drill);

  const sluice::app::AdminCommand admin = sluice::app::add_admin_command(app);

  app.add_subcommand("version", "Print the version.");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help prints and exits 0; a usage error exits 2, like an invalid config.
    return app.exit(e) == 0 ? 0 : 2;
  }
  spdlog::set_default_logger(spdlog::stderr_color_mt("sluice"));
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");

  if (serve_cmd->parsed()) return sluice::app::run_serve(serve);
  if (check_cmd->parsed()) return sluice::app::run_check_config(check_path);
  if (migrate_cmd->parsed()) return sluice::app::run_migrate(migrate_path);
  if (sim_cmd->parsed()) return sluice::engine::run_sim_server(sim);
  if (simulate_cmd->parsed()) return sluice::app::run_simulate(simulate);
  if (load_cmd->parsed()) return sluice::app::run_load_command(load);
  if (drill_cmd->parsed()) return sluice::app::run_drill_command(drill);
  if (admin.command->parsed()) return admin.run();
  fmt::print("sluice {}\n", SLUICE_VERSION);
  return 0;
}
