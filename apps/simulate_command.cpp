// `sluice simulate`: replay a workload through the real scheduler, quota and
// picking code in virtual time; compare policies.
#include <fmt/format.h>

#include <chrono>
#include <fstream>

#include "commands.h"
#include "sluice/config/loader.h"
#include "sluice/core/duration_text.h"
#include "sluice/simulate/simulation.h"
#include "sluice/workload/report.h"
#include "sluice/workload/workload.h"

namespace sluice::app {
namespace {

std::optional<config::SchedPolicy> parse_policy(std::string_view text) {
  if (text == "fcfs") return config::SchedPolicy::kFcfs;
  if (text == "round_robin") return config::SchedPolicy::kRoundRobin;
  if (text == "vtc") return config::SchedPolicy::kVtc;
  return std::nullopt;
}

std::vector<std::string> split_commas(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    const auto comma = text.find(',', start);
    const std::string part = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (!part.empty()) out.push_back(part);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

/// "out.svg" + "vtc" → "out-vtc.svg" (only when several policies run).
std::string with_label(const std::string& path, const std::string& label, bool several) {
  if (!several) return path;
  const auto dot = path.rfind('.');
  if (dot == std::string::npos || dot < path.rfind('/') + 1) return path + "-" + label;
  return path.substr(0, dot) + "-" + label + path.substr(dot);
}

bool write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  return static_cast<bool>(out);
}

}  // namespace

int run_simulate(const SimulateOptions& options) {
  auto cfg = config::load_config_file(options.config_path);
  if (!cfg) {
    for (const auto& e : cfg.error()) fmt::print(stderr, "{}\n", e.to_string());
    return 2;
  }
  auto load = workload::load_workload_file(options.workload_path);
  if (!load) {
    for (const auto& e : load.error()) fmt::print(stderr, "{}\n", e);
    return 2;
  }
  if (options.duration_s > 0) {
    // Tenants that ran to the end keep running to the new end.
    for (auto& t : load->tenants) t.stop_s = t.stop_s >= load->duration_s ? options.duration_s
                                                                          : std::min(t.stop_s, options.duration_s);
    load->duration_s = options.duration_s;
  }
  if (options.replicas > 0) {
    load->replicas = options.replicas;
    for (auto& t : load->tenants) {
      if (options.replicas == 1) t.replica_split.clear();  // one gateway: nothing to split
      if (!t.replica_split.empty() && t.replica_split.size() != static_cast<std::size_t>(options.replicas)) {
        fmt::print(stderr, "sluice simulate: --replicas {}: tenant {} splits its requests over {} replicas\n",
                   options.replicas, t.tenant, t.replica_split.size());
        return 2;
      }
    }
  }
  if (!options.replica_sync.empty()) {
    const auto d = core::parse_duration(options.replica_sync);
    if (!d || *d < core::Duration::zero()) {
      fmt::print(stderr, "sluice simulate: --replica-sync: expected a duration such as 20ms or 0s, got \"{}\"\n",
                 options.replica_sync);
      return 2;
    }
    load->replica_sync_s = core::to_seconds(*d);
  }
  if (auto ok = simulate::check_compatible(*cfg, *load); !ok) {
    for (const auto& e : ok.error()) fmt::print(stderr, "{}\n", e);
    return 2;
  }
  std::vector<std::string> labels = options.compare.empty() ? std::vector<std::string>{options.policy}
                                                             : split_commas(options.compare);
  std::vector<std::optional<config::SchedPolicy>> policies;
  for (const auto& label : labels) {
    if (label == "config") {
      policies.push_back(std::nullopt);
      continue;
    }
    auto p = parse_policy(label);
    if (!p) {
      fmt::print(stderr, "sluice simulate: unknown policy \"{}\"; expected fcfs, round_robin, vtc or config\n", label);
      return 2;
    }
    policies.push_back(p);
  }

  std::vector<workload::RunReport> reports;
  const bool several = labels.size() > 1;
  for (std::size_t k = 0; k < labels.size(); ++k) {
    simulate::SimulationOptions so;
    so.policy = policies[k];
    if (options.instances > 0) so.instances = options.instances;
    simulate::SimulationStats stats;
    const auto started = std::chrono::steady_clock::now();
    const workload::RunRecorder recorder = simulate::run_simulation(*cfg, *load, so, &stats);
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    fmt::print(stderr, "simulate {}: {:.0f} s of traffic, {} requests, {} engine steps, {} events in {:.2f} s\n",
               labels[k], stats.simulated_s, stats.arrivals, stats.engine_steps, stats.events, wall);
    reports.push_back(workload::build_report(recorder, labels[k]));
    if (!options.csv_path.empty()) {
      const std::string path = with_label(options.csv_path, labels[k], several);
      if (!write_file(path, workload::service_csv(recorder))) {
        fmt::print(stderr, "sluice simulate: cannot write {}\n", path);
        return 1;
      }
    }
    if (!options.chart_path.empty()) {
      const std::string path = with_label(options.chart_path, labels[k], several);
      const std::string title = fmt::format("{} — {} (simulated)", load->source_path, labels[k]);
      if (!write_file(path, workload::service_svg(recorder, title))) {
        fmt::print(stderr, "sluice simulate: cannot write {}\n", path);
        return 1;
      }
    }
  }
  if (several) {
    fmt::print("{}", workload::format_comparison(reports));
  } else {
    fmt::print("{}", workload::format_report(reports.front()));
  }
  return 0;
}

}  // namespace sluice::app
