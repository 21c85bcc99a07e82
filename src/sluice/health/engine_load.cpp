#include "sluice/health/engine_load.h"

#include <algorithm>
#include <charconv>
#include <cmath>

namespace sluice::health {
namespace {

/// The value of a sample line `name{labels} value [timestamp]` whose metric
/// is exactly `name`; nullopt for other lines.
std::optional<double> sample_value(std::string_view line, std::string_view name) {
  if (!line.starts_with(name)) return std::nullopt;
  std::string_view rest = line.substr(name.size());
  if (rest.empty() || (rest.front() != '{' && rest.front() != ' ')) return std::nullopt;
  if (rest.front() == '{') {
    const auto close = rest.find('}');
    if (close == std::string_view::npos) return std::nullopt;
    rest = rest.substr(close + 1);
  }
  while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  const auto end = rest.find(' ');
  const std::string_view number = rest.substr(0, end);
  double value = 0;
  const auto [ptr, ec] = std::from_chars(number.data(), number.data() + number.size(), value);
  if (ec != std::errc() || ptr != number.data() + number.size() || !std::isfinite(value)) return std::nullopt;
  return value;
}

}  // namespace

EngineLoad parse_engine_load(std::string_view text) {
  EngineLoad load;
  while (!text.empty()) {
    const auto eol = text.find('\n');
    const std::string_view line = text.substr(0, eol);
    text = eol == std::string_view::npos ? std::string_view() : text.substr(eol + 1);
    if (line.empty() || line.front() == '#') continue;
    if (line.starts_with("vllm:")) {
      if (auto v = sample_value(line, "vllm:num_requests_waiting")) {
        load.waiting = load.waiting.value_or(0) + static_cast<std::int64_t>(std::llround(*v));
      } else if (auto kv = sample_value(line, "vllm:kv_cache_usage_perc")) {
        load.kv_usage = std::max(load.kv_usage.value_or(0.0), *kv);
      } else if (auto old = sample_value(line, "vllm:gpu_cache_usage_perc")) {
        load.kv_usage = std::max(load.kv_usage.value_or(0.0), *old);
      }
    } else if (line.starts_with("llamacpp:")) {
      // llama.cpp's server (with --metrics): requests that found no free slot
      // wait as "deferred"; kv_cache_usage_ratio exists only in its older
      // versions (newer ones export no KV-cache gauge).
      if (auto v = sample_value(line, "llamacpp:requests_deferred")) {
        load.waiting = load.waiting.value_or(0) + static_cast<std::int64_t>(std::llround(*v));
      } else if (auto kv = sample_value(line, "llamacpp:kv_cache_usage_ratio")) {
        load.kv_usage = std::max(load.kv_usage.value_or(0.0), *kv);
      }
    }
  }
  return load;
}

}  // namespace sluice::health
