#pragma once
/// Maglev consistent hashing (Eisenbud et al., NSDI 2016): a lookup table of
/// a prime number of slots, each holding an instance, filled so that every
/// instance holds an almost equal share of the slots and a change of one
/// instance moves little more than that instance's share of keys.
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "sluice/balance/routing_table.h"

namespace sluice::balance {

/// An immutable Maglev table over a list of instance ids. Entries are
/// positions in that list, so the table belongs with the routing-table
/// snapshot whose instance list it was built from.
///
/// Which instance a slot holds depends only on the set of ids, not on their
/// order in the list: a republish that reorders instances maps every key to
/// the same id.
///
/// Cost: building probes O(size · log size) slots and holds size × 4 bytes;
/// with the default 65,537 slots and ten instances, about 2 ms and 256 KiB.
/// Build once per routing-table publish (per model and tier), never per
/// request. Lookup is O(1). Keep size above ~100 × the instance count for
/// shares within about 1% of even.
///
/// Thread-safety: immutable after construction; share it freely.
class MaglevTable {
 public:
  static constexpr std::size_t kDefaultSize = 65537;

  /// Builds the table for `ids` (distinct). `size` is rounded up to a prime,
  /// and to at least the number of ids.
  explicit MaglevTable(std::span<const std::string_view> ids, std::size_t size = kDefaultSize);
  /// The table for `instances`, by their ids.
  static MaglevTable for_instances(std::span<const std::shared_ptr<Instance>> instances,
                                   std::size_t size = kDefaultSize);

  std::size_t instance_count() const { return instance_count_; }
  /// Slots in the table (a prime).
  std::size_t size() const { return slots_.size(); }

  /// Position of the instance the key belongs to, or -1 for an empty table.
  int home(std::uint64_t key_hash) const;
  /// The key's first `count` distinct instances: its home, then the order a
  /// walk over the following slots meets the others (the order bounded-load
  /// picking falls back in).
  std::vector<std::uint32_t> preference(std::uint64_t key_hash, std::size_t count) const;

  /// The walk: slot of the key, then onward, wrapping (see bounded_load.h).
  std::size_t walk_start(std::uint64_t key_hash) const { return static_cast<std::size_t>(key_hash % slots_.size()); }
  std::size_t walk_length() const { return slots_.size(); }
  std::uint32_t walk_entry(std::size_t position) const { return slots_[position % slots_.size()]; }

 private:
  std::vector<std::uint32_t> slots_;
  std::size_t instance_count_ = 0;
};

}  // namespace sluice::balance
