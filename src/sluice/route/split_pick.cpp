#include "sluice/route/split_pick.h"

#include "sluice/balance/stable_hash.h"

namespace sluice::route {

std::size_t pick_target(const CompiledRoute& route, std::optional<std::uint64_t> sticky_key_hash,
                        std::uint64_t random) {
  const int picked = sticky_key_hash ? route.split.pick_sticky(*sticky_key_hash) : route.split.pick(random);
  return picked < 0 ? 0 : static_cast<std::size_t>(picked);
}

std::optional<std::uint64_t> hash_key(const config::HashKeyConfig& key, HeaderLookup headers,
                                      std::string_view tenant_id, std::string_view user_field) {
  std::optional<std::string_view> value;
  switch (key.source) {
    case config::HashKeyConfig::Source::kNone:
      return std::nullopt;
    case config::HashKeyConfig::Source::kHeader:
      value = headers(key.header);
      break;
    case config::HashKeyConfig::Source::kTenant:
      value = tenant_id;
      break;
    case config::HashKeyConfig::Source::kUser:
      value = user_field;
      break;
  }
  if (!value || value->empty()) return std::nullopt;
  return balance::stable_hash(*value);
}

}  // namespace sluice::route
