#include "sluice/balance/least_request.h"

#include <array>

namespace sluice::balance {

int pick_least_request(std::span<const std::shared_ptr<Instance>> instances, std::uint64_t r1, std::uint64_t r2) {
  // Indices of available instances; models have few instances, so a small
  // fixed buffer avoids allocation and a linear fallback covers the rest.
  constexpr std::size_t kMax = 64;
  std::array<int, kMax> avail{};
  std::size_t n = 0;
  for (std::size_t i = 0; i < instances.size() && n < kMax; ++i) {
    if (instances[i]->available.load(std::memory_order_relaxed)) avail[n++] = static_cast<int>(i);
  }
  if (n == 0) return -1;
  if (n == 1) return avail[0];
  const std::size_t a = r1 % n;
  std::size_t b = r2 % (n - 1);
  if (b >= a) ++b;  // distinct second choice
  const auto load = [&](std::size_t k) {
    return instances[static_cast<std::size_t>(avail[k])]->outstanding.load(std::memory_order_relaxed);
  };
  return load(b) < load(a) ? avail[b] : avail[a];
}

}  // namespace sluice::balance
