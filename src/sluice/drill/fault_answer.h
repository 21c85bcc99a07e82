#pragma once
/// The admin API's answers to a fault injection: 200
/// `{"injected_at_ms":…,"affected":["m/0",…]}`, or an OpenAI-shaped error
/// whose message says what was wrong with the fault. Pure.
#include <cstdint>
#include <expected>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::drill {

struct InjectedFault {
  std::int64_t injected_at_ms = 0;     // Unix epoch ms, the gateway's clock
  std::vector<std::string> affected;   // instances the fault took down
};

std::expected<InjectedFault, std::string> parse_injected_fault(std::string_view json);

/// `error.message` of an OpenAI-shaped error body, else the body itself
/// (cut to 200 bytes), for messages.
std::string error_message_of(std::string_view body);

}  // namespace sluice::drill
