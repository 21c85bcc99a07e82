#include "sluice/core/duration_text.h"

#include <charconv>
#include <cmath>
#include <fmt/format.h>

namespace sluice::core {

std::optional<Duration> parse_duration(std::string_view text) {
  if (text.empty()) return std::nullopt;
  double value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  // from_chars reads "nan" and "inf" too; neither is a duration.
  if (ec != std::errc{} || !std::isfinite(value) || value < 0) return std::nullopt;
  std::string_view unit(end, static_cast<std::size_t>(text.data() + text.size() - end));
  double scale = 0;
  if (unit.empty() || unit == "s") scale = 1;
  else if (unit == "ms") scale = 1e-3;
  else if (unit == "us") scale = 1e-6;
  else if (unit == "m") scale = 60;
  else if (unit == "h") scale = 3600;
  else return std::nullopt;
  const double seconds = value * scale;
  // Checked before the conversion to integer nanoseconds, which is undefined
  // for values out of range ("1e300h").
  if (!(seconds <= kMaxDurationSeconds)) return std::nullopt;
  // Rounded, not truncated: "100us" is 100000ns, not 99999ns.
  return Duration(std::llround(seconds * 1e9));
}

std::string format_duration(Duration d) {
  const double s = to_seconds(d);
  if (s < 1) return fmt::format("{}ms", static_cast<long long>(s * 1000 + 0.5));
  return fmt::format("{}s", s);
}

}  // namespace sluice::core
