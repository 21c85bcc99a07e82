#pragma once
/// Reads an engine's load from its Prometheus /metrics text: requests
/// waiting in its own queue and KV-cache use, under vLLM's names (and the
/// older `vllm:gpu_cache_usage_perc`). Pure.
#include <cstdint>
#include <optional>
#include <string_view>

namespace sluice::health {

struct EngineLoad {
  std::optional<std::int64_t> waiting;  // vllm:num_requests_waiting, summed over label sets
  std::optional<double> kv_usage;       // 0..1, the largest over label sets
};

EngineLoad parse_engine_load(std::string_view prometheus_text);

}  // namespace sluice::health
