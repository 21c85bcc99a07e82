/// Two durations of one mapping that must keep an order (a timeout below its
/// interval, a maximum at least its base).
#include <fmt/format.h>

#include "sluice/config/sections.h"
#include "sluice/core/duration_text.h"

namespace sluice::config {

void read_duration_pair(Reader& reader, const MapReader& m, std::string_view low_key, core::Duration& low,
                        std::string_view high_key, core::Duration& high, DurationOrder order) {
  const auto low_given = m.duration(low_key);
  const auto high_given = m.duration(high_key);
  set_if(low, low_given);
  set_if(high, high_given);
  if (!low_given && !high_given) return;
  const bool shorter = order == DurationOrder::kShorter;
  if (shorter ? low < high : high >= low) return;
  const std::string_view first = shorter ? low_key : high_key;
  const std::string_view key = m.has(first) ? first : (shorter ? high_key : low_key);
  reader.fail(m.location_of_child(key), m.key_of(key),
              shorter ? fmt::format("{} ({}) must be shorter than {} ({})", low_key, core::format_duration(low),
                                    high_key, core::format_duration(high))
                      : fmt::format("{} ({}) must be at least {} ({})", high_key, core::format_duration(high),
                                    low_key, core::format_duration(low)));
}

}  // namespace sluice::config
