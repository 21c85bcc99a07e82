#include "sluice/engine/profile.h"

#include <array>

namespace sluice::engine {
namespace {

EngineProfile llama_8b() {
  EngineProfile p;
  p.name = "llama-3.1-8b-h100";
  p.description = "Llama-3.1-8B-Instruct bf16 on 1x H100 80GB (vLLM)";
  p.model_name = "meta-llama/Llama-3.1-8B-Instruct";
  p.prefill_tokens_per_s = 27000;
  p.decode_base_ms = 7.2;
  p.decode_per_seq_ms = 0.022;
  p.kv_read_us_per_token = 0.039;
  p.kv_cache_tokens = 420000;
  p.max_model_len = 131072;
  p.prefix_cache_blocks = p.kv_cache_tokens / p.block_tokens;
  p.weights_gb = 16.1;
  p.cold_load_s = 60;
  p.wake_s = 2.0;
  p.source = "Lambda vllm-benchmark prompt_10/prompt_320 H100 runs; llm-d empirical memory results";
  return p;
}

EngineProfile mistral_7b() {
  EngineProfile p;
  p.name = "mistral-7b-h100";
  p.description = "Mistral-7B-Instruct-v0.3 bf16 on 1x H100 80GB (vLLM)";
  p.model_name = "mistralai/Mistral-7B-Instruct-v0.3";
  p.prefill_tokens_per_s = 29000;
  p.decode_base_ms = 6.6;
  p.decode_per_seq_ms = 0.022;
  p.kv_read_us_per_token = 0.039;
  p.kv_cache_tokens = 435000;
  p.max_model_len = 32768;
  p.prefix_cache_blocks = p.kv_cache_tokens / p.block_tokens;
  p.weights_gb = 14.5;
  p.cold_load_s = 58;
  p.wake_s = 1.9;
  p.source = "Lambda vllm-benchmark prompt_320 H100 Mistral-7B-Instruct-v0.3 run";
  return p;
}

EngineProfile llama_70b() {
  EngineProfile p;
  p.name = "llama-3.1-70b-4xh100";
  p.description = "Llama-3.1-70B-Instruct bf16 on 4x H100 80GB, tensor parallel 4 (vLLM)";
  p.model_name = "meta-llama/Llama-3.1-70B-Instruct";
  p.prefill_tokens_per_s = 12000;
  p.decode_base_ms = 17.5;
  p.decode_per_seq_ms = 0.045;
  p.kv_read_us_per_token = 0.024;
  p.kv_cache_tokens = 435000;
  p.max_model_len = 131072;
  p.prefix_cache_blocks = p.kv_cache_tokens / p.block_tokens;
  p.weights_gb = 141.1;
  p.cold_load_s = 180;
  p.wake_s = 5.0;
  p.source = "vLLM CI buildkite 9555 (TP4); Lambda prompt_320 4xH100; NIM 1.8.0 prefill reference";
  return p;
}

EngineProfile instant() {
  EngineProfile p;
  p.name = "instant";
  p.description = "all times zero, huge KV and batch: a backend for proxy-overhead benchmarks";
  p.model_name = "sim-instant";
  p.max_num_seqs = 1'000'000;
  p.max_num_batched_tokens = std::int64_t{1} << 40;
  p.kv_cache_tokens = std::int64_t{1} << 50;
  p.max_model_len = std::int64_t{1} << 30;
  p.prefix_cache_blocks = 1 << 16;
  p.output_length = {OutputLengthKind::kFixed, 16, 1, 4096};
  p.source = "none: synthetic";
  return p;
}

const std::array<EngineProfile, 4>& profiles() {
  static const std::array<EngineProfile, 4> all{llama_8b(), mistral_7b(), llama_70b(), instant()};
  return all;
}

}  // namespace

std::span<const EngineProfile> builtin_profiles() { return profiles(); }

const EngineProfile* find_profile(std::string_view name) {
  for (const auto& p : profiles()) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

std::string profile_names() {
  std::string out;
  for (const auto& p : profiles()) {
    if (!out.empty()) out += ", ";
    out += p.name;
  }
  return out;
}

bool parse_output_length_kind(std::string_view text, OutputLengthKind& kind) {
  if (text == "fixed") {
    kind = OutputLengthKind::kFixed;
  } else if (text == "uniform") {
    kind = OutputLengthKind::kUniform;
  } else if (text == "exponential") {
    kind = OutputLengthKind::kExponential;
  } else {
    return false;
  }
  return true;
}

std::string_view to_string(OutputLengthKind kind) {
  switch (kind) {
    case OutputLengthKind::kFixed: return "fixed";
    case OutputLengthKind::kUniform: return "uniform";
    case OutputLengthKind::kExponential: return "exponential";
  }
  return "fixed";
}

}  // namespace sluice::engine
