#pragma once
/// Which of a route's split targets a request goes to, and the sticky key
/// that pins it there.
///
/// Without a sticky key, a uniform random draw picks a target in proportion
/// to the weights. With one (route.sticky: a header, the tenant, or the
/// OpenAI "user" field), the key's stable hash picks it, so the same key
/// always lands on the same target while the weights stay, and growing a
/// canary from 10% to 20% moves only the keys in the stretch that changed
/// hands (balance/weighted_split.h). A request whose key is absent falls
/// back to the random draw.
///
/// Pure: the random number is an argument. Thread-safe (no state).
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "sluice/config/config.h"
#include "sluice/route/header_lookup.h"
#include "sluice/route/route_table.h"

namespace sluice::route {

/// Index into route.route.split. Sticky when `sticky_key_hash` is given,
/// else from `random` (a uniform 64-bit number, e.g. std::mt19937_64).
/// When every weight is 0 (config validation rejects that) it returns 0.
std::size_t pick_target(const CompiledRoute& route, std::optional<std::uint64_t> sticky_key_hash,
                        std::uint64_t random);

/// Stable hash (balance::stable_hash, the same in every gateway replica) of
/// the key `key` names: the header `key.header` (looked up lower-case), the
/// tenant id, or the request's "user" field. nullopt for Source::kNone and
/// when the value is absent or empty (an empty key would pin every
/// keyless request to one target).
std::optional<std::uint64_t> hash_key(const config::HashKeyConfig& key, HeaderLookup headers,
                                      std::string_view tenant_id, std::string_view user_field);

}  // namespace sluice::route
