#pragma once
/// Human durations in config and on the command line: "250ms", "30s", "5m",
/// "1h", "1.5s". A bare number is seconds.
#include <optional>
#include <string>
#include <string_view>

#include "sluice/core/clock.h"

namespace sluice::core {

std::optional<Duration> parse_duration(std::string_view text);
std::string format_duration(Duration d);

}  // namespace sluice::core
