#pragma once
/// Engine profiles: the numbers that calibrate the timing model (step times,
/// batch limits, KV capacity, load and wake times) for one model on one kind of
/// hardware. Pure data; see docs/engine-sim.md for the published figures
/// behind each built-in profile.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace sluice::engine {

/// How many tokens a request generates when it does not set max_tokens.
enum class OutputLengthKind {
  kFixed,        // always `mean`
  kUniform,      // uniform integer in [min, max]
  kExponential,  // exponential with `mean`, rounded up, clamped to [min, max]
};

struct OutputLengthDistribution {
  OutputLengthKind kind = OutputLengthKind::kExponential;
  double mean = 256;
  std::int64_t min = 1;
  std::int64_t max = 4096;
};

/// One engine calibration. Times are in the model's own (simulated) time.
struct EngineProfile {
  std::string name;
  std::string description;
  /// Model name served by default (`/v1/models`, the `model` field).
  std::string model_name;

  /// Prefill throughput; 0 means prefill takes no time.
  double prefill_tokens_per_s = 0;
  /// Step time = decode_base_ms + decode_per_seq_ms × B + … (see TimingModel).
  double decode_base_ms = 0;
  double decode_per_seq_ms = 0;
  /// Cost of reading one token of KV context per step, in microseconds.
  double kv_read_us_per_token = 0;

  /// vLLM's max_num_seqs: sequences in one batch.
  std::int64_t max_num_seqs = 256;
  /// vLLM's max_num_batched_tokens: token budget of one step.
  std::int64_t max_num_batched_tokens = 8192;
  /// KV-cache capacity in tokens (all GPUs together).
  std::int64_t kv_cache_tokens = 0;
  /// Longest prompt + output a request may ask for.
  std::int64_t max_model_len = 0;
  /// Tokens per KV block; prefix caching works in whole blocks.
  std::int64_t block_tokens = 16;
  /// Capacity of the prefix cache, in blocks (LRU).
  std::int64_t prefix_cache_blocks = 0;

  double weights_gb = 0;
  /// Process start to /health OK (only when the server simulates loading).
  double cold_load_s = 0;
  /// Sleep level 1 → awake again.
  double wake_s = 0;

  OutputLengthDistribution output_length;
  /// Where the numbers come from, one line.
  std::string source;
};

/// The built-in profiles, in a stable order.
std::span<const EngineProfile> builtin_profiles();
/// The built-in profile with that name, or nullptr.
const EngineProfile* find_profile(std::string_view name);
/// "a, b, c" — for error messages and --help.
std::string profile_names();
/// Parses "fixed", "uniform", "exponential"; false when unknown.
bool parse_output_length_kind(std::string_view text, OutputLengthKind& kind);
std::string_view to_string(OutputLengthKind kind);

}  // namespace sluice::engine
