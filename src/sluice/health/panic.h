#pragma once
/// The panic rule (Envoy's healthy_panic_threshold, default 50% there and
/// here): when too few of a model's instances are usable — healthy by their
/// active checks and not ejected by outlier detection — the picker uses all
/// of them anyway. Sending to a doubtful instance beats failing every
/// request, and it stops a fault in the checks themselves (a bad /health
/// path, a gateway-side network blip) from taking a whole model down.
#include <cstddef>
#include <cstdint>

namespace sluice::health {

/// True when `usable` of `total` instances is below `threshold_percent`
/// (strictly: with 10 instances and 50%, 5 usable is not panic, 4 is).
/// A threshold of 0 disables panic; an empty pool is never in panic.
constexpr bool in_panic(std::size_t usable, std::size_t total, std::uint32_t threshold_percent) {
  return total > 0 && usable * 100 < static_cast<std::size_t>(threshold_percent) * total;
}

/// Whether the picker may send to an instance: a usable one always, any one
/// in panic.
constexpr bool may_use(bool healthy, bool ejected, bool panic) { return panic || (healthy && !ejected); }

}  // namespace sluice::health
