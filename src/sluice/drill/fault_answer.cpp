#include "sluice/drill/fault_answer.h"

#include <nlohmann/json.hpp>

namespace sluice::drill {

using nlohmann::json;

std::expected<InjectedFault, std::string> parse_injected_fault(std::string_view text) {
  const json doc = json::parse(text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return std::unexpected(std::string("the fault answer is not a JSON object"));
  InjectedFault fault;
  const auto at = doc.find("injected_at_ms");
  if (at == doc.end() || !at->is_number_integer()) {
    return std::unexpected(std::string("the fault answer has no integer injected_at_ms"));
  }
  fault.injected_at_ms = at->get<std::int64_t>();
  if (const auto affected = doc.find("affected"); affected != doc.end() && !affected->is_null()) {
    if (!affected->is_array()) return std::unexpected(std::string("the fault answer's affected is not an array"));
    for (const auto& id : *affected) {
      if (!id.is_string()) return std::unexpected(std::string("the fault answer's affected holds a non-string"));
      fault.affected.push_back(id.get<std::string>());
    }
  }
  return fault;
}

std::string error_message_of(std::string_view body) {
  const json doc = json::parse(body, nullptr, false);
  if (doc.is_object()) {
    const auto error = doc.find("error");
    if (error != doc.end() && error->is_object()) {
      const auto message = error->find("message");
      if (message != error->end() && message->is_string()) return message->get<std::string>();
    }
  }
  constexpr std::size_t kMax = 200;
  return std::string(body.substr(0, kMax)) + (body.size() > kMax ? "…" : "");
}

}  // namespace sluice::drill
