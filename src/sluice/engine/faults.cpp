#include "sluice/engine/faults.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

namespace sluice::engine {

std::expected<FaultUpdate, std::string> parse_fault_update(const FaultConfig& current, std::string_view body) {
  using nlohmann::json;
  const json doc = json::parse(body, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return std::unexpected(std::string("body must be a JSON object"));
  FaultUpdate update{current, false};
  FaultConfig& f = update.faults;
  for (const auto& [key, value] : doc.items()) {
    if (key == "crash" || key == "hang" || key == "unhealthy") {
      if (!value.is_boolean()) return std::unexpected(fmt::format("'{}' must be a boolean", key));
      (key == "crash" ? update.crash : key == "hang" ? f.hang : f.unhealthy) = value.get<bool>();
    } else if (key == "slow_factor") {
      if (!value.is_number() || value.get<double>() <= 0) return std::unexpected(std::string("'slow_factor' must be a number > 0"));
      f.slow_factor = value.get<double>();
    } else if (key == "error_rate") {
      if (!value.is_number() || value.get<double>() < 0 || value.get<double>() > 1) {
        return std::unexpected(std::string("'error_rate' must be a number in [0, 1]"));
      }
      f.error_rate = value.get<double>();
    } else if (key == "error_status") {
      if (!value.is_number_integer() || value.get<int>() < 400 || value.get<int>() > 599) {
        return std::unexpected(std::string("'error_status' must be an integer in [400, 599]"));
      }
      f.error_status = value.get<int>();
    } else if (key == "drop_after_tokens") {
      if (value.is_null()) {
        f.drop_after_tokens.reset();
      } else if (!value.is_number_integer() || value.get<std::int64_t>() < 0) {
        return std::unexpected(std::string("'drop_after_tokens' must be an integer >= 0 or null"));
      } else {
        f.drop_after_tokens = value.get<std::int64_t>();
      }
    } else {
      return std::unexpected(fmt::format("unknown fault '{}' (known: crash, hang, slow_factor, error_rate, "
                                         "error_status, drop_after_tokens, unhealthy)", key));
    }
  }
  return update;
}

std::string fault_json(const FaultConfig& faults) {
  nlohmann::json j;
  j["hang"] = faults.hang;
  j["slow_factor"] = faults.slow_factor;
  j["error_rate"] = faults.error_rate;
  j["error_status"] = faults.error_status;
  j["drop_after_tokens"] = faults.drop_after_tokens ? nlohmann::json(*faults.drop_after_tokens) : nlohmann::json(nullptr);
  j["unhealthy"] = faults.unhealthy;
  return j.dump();
}

}  // namespace sluice::engine
