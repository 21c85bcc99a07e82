#include "sluice/health/engine_models.h"

#include <nlohmann/json.hpp>

namespace sluice::health {
namespace {

/// Whether brackets nest at most `limit` deep outside strings: an engine's
/// answer is bounded before a parser sees it.
bool shallow(std::string_view text, int limit) {
  int depth = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') ++i;
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > limit) return false;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return true;
}

}  // namespace

std::optional<std::int64_t> parse_max_model_len(std::string_view models_json, std::string_view model) {
  if (models_json.size() > 1 << 20 || !shallow(models_json, 32)) return std::nullopt;
  const nlohmann::json body = nlohmann::json::parse(models_json, nullptr, /*allow_exceptions=*/false);
  if (!body.is_object() || !body.contains("data") || !body["data"].is_array()) return std::nullopt;
  const nlohmann::json& data = body["data"];
  const nlohmann::json* entry = data.size() == 1 ? &data[0] : nullptr;
  for (const auto& item : data) {
    if (item.is_object() && item.value("id", "") == model) entry = &item;
  }
  if (!entry || !entry->is_object() || !entry->contains("max_model_len")) return std::nullopt;
  const nlohmann::json& len = (*entry)["max_model_len"];
  if (!len.is_number_integer() || len.get<std::int64_t>() <= 0) return std::nullopt;
  return len.get<std::int64_t>();
}

}  // namespace sluice::health
