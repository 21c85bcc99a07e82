#pragma once
/// Reads an engine's load from its Prometheus /metrics text: requests
/// waiting in its own queue and KV-cache use, under vLLM's names (and the
/// older `vllm:gpu_cache_usage_perc`) or llama.cpp server's
/// (`llamacpp:requests_deferred`, `llamacpp:kv_cache_usage_ratio`). Pure.
#include <cstdint>
#include <optional>
#include <string_view>

namespace sluice::health {

struct EngineLoad {
  /// vllm:num_requests_waiting or llamacpp:requests_deferred, summed over label sets.
  std::optional<std::int64_t> waiting;
  /// 0..1, the largest over label sets; llama.cpp servers since late 2025 export none.
  std::optional<double> kv_usage;
};

EngineLoad parse_engine_load(std::string_view prometheus_text);

}  // namespace sluice::health
