#pragma once
/// Human durations in config and on the command line: "250ms", "30s", "5m",
/// "1h", "1.5s". A bare number is seconds. nan, inf, negative numbers and
/// anything longer than kMaxDurationSeconds are not durations.
#include <optional>
#include <string>
#include <string_view>

#include "sluice/core/clock.h"

namespace sluice::core {

/// The longest duration parse_duration accepts: one year.
inline constexpr double kMaxDurationSeconds = 365.0 * 24 * 3600;

std::optional<Duration> parse_duration(std::string_view text);
std::string format_duration(Duration d);

}  // namespace sluice::core
