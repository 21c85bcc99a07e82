#pragma once
/// Reads a model's context length from an engine's `GET /v1/models` answer
/// (vLLM and engine-sim give `max_model_len` per model). Pure.
#include <cstdint>
#include <optional>
#include <string_view>

namespace sluice::health {

/// The `max_model_len` of the entry whose `id` is `model` in `data`, or of
/// the only entry when there is one; nullopt when the body says nothing
/// usable (not JSON, no such field, not a positive integer).
std::optional<std::int64_t> parse_max_model_len(std::string_view models_json, std::string_view model);

}  // namespace sluice::health
