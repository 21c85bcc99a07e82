#pragma once
/// Least-outstanding-requests picking by the power of two choices: sample two
/// distinct available instances at random and take the one with fewer
/// requests in flight (Mitzenmacher). Pure: the random numbers are injected.
#include <cstdint>
#include <memory>
#include <span>

#include "sluice/balance/routing_table.h"

namespace sluice::balance {

/// Index of the chosen instance, or -1 when none is available. `r1`, `r2`
/// are independent uniform random numbers.
int pick_least_request(std::span<const std::shared_ptr<Instance>> instances, std::uint64_t r1, std::uint64_t r2);

}  // namespace sluice::balance
