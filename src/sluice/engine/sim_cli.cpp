#include "sluice/engine/sim_cli.h"

#include <cstdio>
#include <iostream>

#include <fmt/format.h>

#include "sluice/engine/sim_server.h"
#include "sluice/net/asio.h"
#include "sluice/net/tls.h"

namespace sluice::engine {

namespace {

/// Exit status of an engine whose load failed (--fail-load).
constexpr int kExitLoadFailed = 3;

std::string profiles_help() {
  std::string out = "Engine profile. Built-in profiles:";
  for (const auto& p : builtin_profiles()) {
    if (p.name == "instant") {
      out += fmt::format("\n  {:<22} {}", p.name, p.description);
      continue;
    }
    out += fmt::format("\n  {:<22} {}: prefill {} tok/s, step {} + {}*B ms, max_num_seqs {}, KV {} tokens, cold load {} s, wake {} s",
                       p.name, p.description, p.prefill_tokens_per_s, p.decode_base_ms, p.decode_per_seq_ms,
                       p.max_num_seqs, p.kv_cache_tokens, p.cold_load_s, p.wake_s);
  }
  return out;
}

}  // namespace

void add_sim_server_options(CLI::App& cmd, SimServerOptions& o) {
  cmd.description(
      "Run the engine simulator: an OpenAI-compatible server (/v1/chat/completions, /v1/completions, /v1/models) "
      "in front of a continuous-batching timing model calibrated on published vLLM figures. Also serves /health, "
      "/metrics (vLLM names), /sleep, /wake_up, /is_sleeping and fault injection at /admin/faults. "
      "See docs/engine-sim.md.");
  cmd.add_option("--host", o.host, "Address to listen on")->capture_default_str();
  cmd.add_option("--port", o.port, "Port to listen on; 0 picks a free port (read it from the 'listening on' line)")
      ->check(CLI::Range(0, 65535))
      ->capture_default_str();
  cmd.add_option("--profile", o.profile, profiles_help())->capture_default_str();
  cmd.add_option("--served-model-name", o.served_model_name,
                 "Model name answered in responses and /v1/models, and required in requests' 'model' (default: the "
                 "profile's model, e.g. meta-llama/Llama-3.1-8B-Instruct)");
  cmd.add_option("--speedup", o.speedup, "Run model time this many times faster than wall time (e.g. 10)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd.add_option("--seed", o.seed, "Seed for output lengths, synthetic text and error-rate draws (runs repeat)")
      ->capture_default_str();
  cmd.add_option("--tls-cert", o.tls_cert, "Serve https with this PEM certificate chain (with --tls-key)");
  cmd.add_option("--tls-key", o.tls_key, "The PEM private key of --tls-cert");
  cmd.add_flag("--simulate-load", o.simulate_load,
               "Simulate the profile's cold load: /health answers 503 and requests fail until loaded (default: "
               "ready at once)");
  cmd.add_flag("--fail-load", o.fail_load,
               "Simulate a corrupt model (drills): the cold load (implies --simulate-load) fails after the profile's "
               "cold-load time divided by --speedup; prints 'sluice-engine-sim: loading failed: corrupt weights' to "
               "stderr and exits with status 3, never printing the ready line");

  const std::string overrides = "Profile overrides";
  cmd.add_option("--prefill-tokens-per-s", o.prefill_tokens_per_s, "Prefill throughput (0 = free)")->group(overrides);
  cmd.add_option("--decode-base-ms", o.decode_base_ms, "Fixed part of every step, ms")->group(overrides);
  cmd.add_option("--decode-per-seq-ms", o.decode_per_seq_ms, "Step time added per sequence in the batch, ms")->group(overrides);
  cmd.add_option("--kv-read-us-per-token", o.kv_read_us_per_token, "Step time per token of KV context read, µs")->group(overrides);
  cmd.add_option("--max-num-seqs", o.max_num_seqs, "Most sequences in one batch")->group(overrides);
  cmd.add_option("--max-num-batched-tokens", o.max_num_batched_tokens, "Token budget of one step (chunked prefill)")
      ->group(overrides);
  cmd.add_option("--kv-cache-tokens", o.kv_cache_tokens, "KV-cache capacity in tokens")->group(overrides);
  cmd.add_option("--max-model-len", o.max_model_len, "Longest prompt + output a request may ask for")->group(overrides);
  cmd.add_option("--prefix-cache-blocks", o.prefix_cache_blocks, "Prefix-cache capacity in 16-token blocks (0 = off)")
      ->group(overrides);
  cmd.add_option("--cold-load-s", o.cold_load_s, "Cold-load time, s (with --simulate-load or --fail-load)")->group(overrides);
  cmd.add_option("--wake-s", o.wake_s, "Wake-up time after sleep level 1, s")->group(overrides);
  cmd.add_option("--output-len-dist", o.output_len_dist,
                 "Output length when a request sets no max_tokens: fixed, uniform or exponential")
      ->check(CLI::IsMember({"fixed", "uniform", "exponential"}))
      ->group(overrides);
  cmd.add_option("--output-len-mean", o.output_len_mean, "Mean (fixed: the value) of that distribution")->group(overrides);
  cmd.add_option("--output-len-min", o.output_len_min, "Smallest drawn output length")->group(overrides);
  cmd.add_option("--output-len-max", o.output_len_max, "Largest drawn output length")->group(overrides);
}

std::expected<EngineProfile, std::string> resolve_profile(const SimServerOptions& o) {
  const EngineProfile* base = find_profile(o.profile);
  if (base == nullptr) return std::unexpected(fmt::format("unknown profile '{}' (known: {})", o.profile, profile_names()));
  EngineProfile p = *base;
  const auto non_negative = [](const char* name, auto value) -> std::expected<void, std::string> {
    if (value < 0) return std::unexpected(fmt::format("--{} must not be negative", name));
    return {};
  };
  const auto positive = [](const char* name, std::int64_t value) -> std::expected<void, std::string> {
    if (value < 1) return std::unexpected(fmt::format("--{} must be at least 1", name));
    return {};
  };
  std::expected<void, std::string> ok;
#define SLUICE_OVERRIDE(field, flag, check)  \
  if (o.field) {                             \
    ok = check(flag, *o.field);              \
    if (!ok) return std::unexpected(ok.error()); \
    p.field = *o.field;                      \
  }
  SLUICE_OVERRIDE(prefill_tokens_per_s, "prefill-tokens-per-s", non_negative)
  SLUICE_OVERRIDE(decode_base_ms, "decode-base-ms", non_negative)
  SLUICE_OVERRIDE(decode_per_seq_ms, "decode-per-seq-ms", non_negative)
  SLUICE_OVERRIDE(kv_read_us_per_token, "kv-read-us-per-token", non_negative)
  SLUICE_OVERRIDE(max_num_seqs, "max-num-seqs", positive)
  SLUICE_OVERRIDE(max_num_batched_tokens, "max-num-batched-tokens", positive)
  SLUICE_OVERRIDE(kv_cache_tokens, "kv-cache-tokens", positive)
  SLUICE_OVERRIDE(max_model_len, "max-model-len", positive)
  SLUICE_OVERRIDE(prefix_cache_blocks, "prefix-cache-blocks", non_negative)
  SLUICE_OVERRIDE(cold_load_s, "cold-load-s", non_negative)
  SLUICE_OVERRIDE(wake_s, "wake-s", non_negative)
#undef SLUICE_OVERRIDE
  if (o.output_len_dist && !parse_output_length_kind(*o.output_len_dist, p.output_length.kind)) {
    return std::unexpected(fmt::format("--output-len-dist: unknown distribution '{}'", *o.output_len_dist));
  }
  if (o.output_len_mean) {
    if (*o.output_len_mean < 1) return std::unexpected(std::string("--output-len-mean must be at least 1"));
    p.output_length.mean = *o.output_len_mean;
  }
  if (o.output_len_min) p.output_length.min = *o.output_len_min;
  if (o.output_len_max) p.output_length.max = *o.output_len_max;
  if (p.output_length.min < 1 || p.output_length.max < p.output_length.min) {
    return std::unexpected(std::string("output lengths need 1 <= --output-len-min <= --output-len-max"));
  }
  return p;
}

int run_sim_server(const SimServerOptions& options) {
  auto profile = resolve_profile(options);
  if (!profile) {
    std::cerr << "sluice engine-sim: " << profile.error() << '\n';
    return 2;
  }
  if (options.port < 0 || options.port > 65535 || !(options.speedup > 0)) {
    std::cerr << "sluice engine-sim: --port must be in [0, 65535] and --speedup > 0\n";
    return 2;
  }
  if (options.tls_cert.empty() != options.tls_key.empty()) {
    std::cerr << "sluice engine-sim: --tls-cert and --tls-key go together\n";
    return 2;
  }
  net::asio::io_context io(1);
  SimServerConfig config;
  if (!options.tls_cert.empty()) {
    auto tls = net::make_server_context(options.tls_cert, options.tls_key);
    if (!tls) {
      std::cerr << "sluice engine-sim: " << tls.error() << '\n';
      return 2;
    }
    config.tls = std::move(*tls);
  }
  config.host = options.host;
  config.port = static_cast<std::uint16_t>(options.port);
  config.profile = std::move(*profile);
  config.served_model_name = options.served_model_name;
  config.speedup = options.speedup;
  config.seed = options.seed;
  config.simulate_load = options.simulate_load;
  config.fail_load = options.fail_load;
  const std::string host = options.host;
  config.on_ready = [host, https = config.tls != nullptr](std::uint16_t port) {
    std::cout << "sluice-engine-sim listening on " << host << ':' << port << (https ? " (https)" : "") << std::endl;
  };
  net::asio::signal_set signals(io, SIGINT, SIGTERM);
  bool load_failed = false;
  config.on_load_failed = [&load_failed, &signals] {
    load_failed = true;
    std::cerr << "sluice-engine-sim: loading failed: corrupt weights" << std::endl;
    signals.cancel();  // the server stops itself; nothing else may keep io.run() going
  };
  SimServer server(io, std::move(config));
  signals.async_wait([&](const net::error_code& ec, int) {
    if (!ec) server.stop();
  });
  const auto port = server.start();
  if (!port) {
    std::cerr << "sluice engine-sim: cannot listen on " << port.error() << '\n';
    return 1;
  }
  io.run();
  return load_failed ? kExitLoadFailed : 0;
}

}  // namespace sluice::engine
