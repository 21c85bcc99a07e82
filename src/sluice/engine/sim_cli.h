#pragma once
/// Command line of `sluice engine-sim`: flags, profile overrides, and the
/// blocking entry point that runs the simulator until SIGINT/SIGTERM.
#include <cstdint>
#include <expected>
#include <optional>
#include <string>

#include <CLI/CLI.hpp>

#include "sluice/engine/profile.h"

namespace sluice::engine {

struct SimServerOptions {
  std::string host = "127.0.0.1";
  int port = 8000;
  std::string profile = "llama-3.1-8b-h100";
  std::string served_model_name;
  double speedup = 1.0;
  std::uint64_t seed = 0;
  /// Honour the profile's cold-load time (/health 503 until loaded).
  bool simulate_load = false;
  /// A corrupt model: the (simulated) cold load fails; exit status 3.
  bool fail_load = false;
  /// Serve https with this PEM certificate chain and key (both or neither).
  std::string tls_cert;
  std::string tls_key;

  // Overrides of the profile's numbers (absent = the profile's value).
  std::optional<double> prefill_tokens_per_s;
  std::optional<double> decode_base_ms;
  std::optional<double> decode_per_seq_ms;
  std::optional<double> kv_read_us_per_token;
  std::optional<std::int64_t> max_num_seqs;
  std::optional<std::int64_t> max_num_batched_tokens;
  std::optional<std::int64_t> kv_cache_tokens;
  std::optional<std::int64_t> max_model_len;
  std::optional<std::int64_t> prefix_cache_blocks;
  std::optional<double> cold_load_s;
  std::optional<double> wake_s;
  std::optional<std::string> output_len_dist;
  std::optional<double> output_len_mean;
  std::optional<std::int64_t> output_len_min;
  std::optional<std::int64_t> output_len_max;
};

/// Adds every flag (with descriptions and the list of profiles) to `cmd`.
void add_sim_server_options(CLI::App& cmd, SimServerOptions& options);

/// The named profile with the overrides applied, or a message saying what is wrong.
std::expected<EngineProfile, std::string> resolve_profile(const SimServerOptions& options);

/// Runs the simulator; blocks until SIGINT/SIGTERM. Prints
/// `sluice-engine-sim listening on HOST:PORT` to stdout once listening and
/// loaded. Returns the process exit code (0 after a signal, 2 on bad options,
/// 1 when it cannot listen, 3 when the load failed: --fail-load).
int run_sim_server(const SimServerOptions& options);

}  // namespace sluice::engine
