/// A model's `balance` mapping (how requests are spread over its
/// instances), and hash keys: `balance.hash_on` and a route's `sticky`.
#include <fmt/format.h>

#include <array>

#include "sluice/config/sections.h"
#include "sluice/config/suggest.h"

namespace sluice::config {
namespace {

constexpr std::array<std::string_view, 6> kPolicyNames = {"least_request",   "round_robin",    "weighted_round_robin",
                                                          "least_tokens",    "consistent_hash", "prefix_affinity"};
constexpr std::array<BalancePolicy, 6> kPolicies = {BalancePolicy::kLeastRequest,   BalancePolicy::kRoundRobin,
                                                    BalancePolicy::kWeightedRoundRobin, BalancePolicy::kLeastTokens,
                                                    BalancePolicy::kConsistentHash, BalancePolicy::kPrefixAffinity};
constexpr std::array<std::string_view, 2> kHashTables = {"maglev", "ring"};
constexpr std::array<std::string_view, 2> kHashSources = {"tenant", "user"};

/// Reads `policy`; false when it is present but invalid (error recorded).
bool read_policy(Reader& reader, const MapReader& b, BalancePolicy& out) {
  if (!b.has("policy")) return true;
  auto text = b.string("policy");
  if (!text) return false;
  for (std::size_t i = 0; i < kPolicyNames.size(); ++i) {
    if (kPolicyNames[i] == *text) {
      out = kPolicies[i];
      return true;
    }
  }
  reader.fail(b.location_of_child("policy"), b.key_of("policy"), expected_one_of(kPolicyNames, *text));
  return false;
}

}  // namespace

std::optional<HashKeyConfig> read_hash_key(Reader& reader, const MapReader& parent, std::string_view name) {
  if (!parent.has(name)) return std::nullopt;
  const YAML::Node node = parent.get(name);
  const std::string key = parent.key_of(name);
  const Location at = parent.location_of_child(name);
  if (node.IsMap()) {
    MapReader m(reader, node, key, at, {"header"});
    if (!m.require("header")) return std::nullopt;
    auto header = m.string("header");
    if (!header) return std::nullopt;
    if (!is_header_name(*header)) {
      reader.fail(m.location_of_child("header"), m.key_of("header"),
                  fmt::format("expected an HTTP header name, got {}", quote(*header)));
      return std::nullopt;
    }
    return HashKeyConfig{HashKeyConfig::Source::kHeader, ascii_lower(*header)};
  }
  if (node.IsScalar() && node.Scalar() == "tenant") return HashKeyConfig{HashKeyConfig::Source::kTenant, {}};
  if (node.IsScalar() && node.Scalar() == "user") return HashKeyConfig{HashKeyConfig::Source::kUser, {}};
  std::optional<std::string_view> hint;
  if (node.IsScalar()) hint = closest_match(node.Scalar(), kHashSources);
  reader.fail(at, key, fmt::format("expected tenant, user or {{header: NAME}}, got {}{}", describe(node),
                                   hint ? fmt::format(" (did you mean \"{}\"?)", *hint) : std::string()));
  return std::nullopt;
}

void read_balance(Reader& reader, const MapReader& parent, BalanceConfig& out) {
  if (!parent.has("balance")) return;
  MapReader b = parent.child("balance", {"policy", "hash_on", "hash_table", "load_factor", "prefix_tokens"});
  if (!b.is_map()) return;
  // With an invalid policy, which keys belong is unknown: read them all
  // for their own errors, check none against the policy.
  const bool known = read_policy(reader, b, out.policy);
  const bool consistent = out.policy == BalancePolicy::kConsistentHash;
  const bool prefix = out.policy == BalancePolicy::kPrefixAffinity;
  const bool hashing = consistent || prefix;
  // Each key is read only where it belongs; elsewhere it is an error.
  auto allowed = [&](std::string_view name, bool belongs, std::string_view why) {
    if (!known || belongs) return true;
    b.forbid(name, why);
    return false;
  };
  if (known && consistent) b.require("hash_on", "policy is consistent_hash");
  if (allowed("hash_on", consistent, "unless policy is consistent_hash")) {
    if (auto hash_on = read_hash_key(reader, b, "hash_on")) out.hash_on = std::move(*hash_on);
  }
  if (allowed("hash_table", hashing, "unless policy is consistent_hash or prefix_affinity")) {
    if (auto text = b.string("hash_table")) {
      if (*text == "maglev") out.hash_table = HashTableKind::kMaglev;
      else if (*text == "ring") out.hash_table = HashTableKind::kRing;
      else reader.fail(b.location_of_child("hash_table"), b.key_of("hash_table"), expected_one_of(kHashTables, *text));
    }
  }
  if (allowed("load_factor", hashing, "unless policy is consistent_hash or prefix_affinity")) {
    if (auto factor = b.positive_number("load_factor")) {
      if (*factor < 1.0) {
        reader.fail(b.location_of_child("load_factor"), b.key_of("load_factor"),
                    fmt::format("expected a number of at least 1, got {}", *factor));
      }
      out.load_factor = *factor;
    }
  }
  if (allowed("prefix_tokens", prefix, "unless policy is prefix_affinity")) {
    set_if(out.prefix_tokens, b.integer("prefix_tokens", 1, kNoMax));
  }
}

}  // namespace sluice::config
