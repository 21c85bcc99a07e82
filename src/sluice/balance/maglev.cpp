#include "sluice/balance/maglev.h"

#include <algorithm>
#include <limits>
#include <numeric>

#include "sluice/balance/stable_hash.h"

namespace sluice::balance {

namespace {

constexpr std::uint64_t kOrderSeed = 0x6D61676C65763031ULL;   // "maglev01"
constexpr std::uint64_t kOffsetSeed = 0x6D61676C65763032ULL;  // "maglev02"
constexpr std::uint64_t kSkipSeed = 0x6D61676C65763033ULL;    // "maglev03"
constexpr std::uint32_t kEmpty = std::numeric_limits<std::uint32_t>::max();

bool is_prime(std::size_t n) {
  if (n < 2) return false;
  for (std::size_t d = 2; d * d <= n; ++d) {
    if (n % d == 0) return false;
  }
  return true;
}

std::size_t next_prime(std::size_t n) {
  while (!is_prime(n)) ++n;
  return n;
}

}  // namespace

MaglevTable::MaglevTable(std::span<const std::string_view> ids, std::size_t size) : instance_count_(ids.size()) {
  const std::size_t n = ids.size();
  if (n == 0) return;
  const std::size_t m = next_prime(std::max({size, n, std::size_t{2}}));
  // Each instance's permutation of the slots: offset, offset + skip, ...
  // (skip in [1, m) and m prime, so it visits every slot once).
  std::vector<std::size_t> next(n);
  std::vector<std::size_t> skip(n);
  for (std::size_t i = 0; i < n; ++i) {
    next[i] = static_cast<std::size_t>(stable_hash(ids[i], kOffsetSeed) % m);
    skip[i] = static_cast<std::size_t>(stable_hash(ids[i], kSkipSeed) % (m - 1)) + 1;
  }
  // Instances take turns in an order fixed by their ids, not by the list.
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    const std::uint64_t ha = stable_hash(ids[a], kOrderSeed);
    const std::uint64_t hb = stable_hash(ids[b], kOrderSeed);
    return ha != hb ? ha < hb : ids[a] < ids[b];
  });
  slots_.assign(m, kEmpty);
  std::size_t filled = 0;
  while (filled < m) {
    for (const std::size_t i : order) {
      std::size_t slot = next[i];
      while (slots_[slot] != kEmpty) slot = (slot + skip[i]) % m;
      slots_[slot] = static_cast<std::uint32_t>(i);
      next[i] = (slot + skip[i]) % m;
      if (++filled == m) break;
    }
  }
}

MaglevTable MaglevTable::for_instances(std::span<const std::shared_ptr<Instance>> instances, std::size_t size) {
  std::vector<std::string_view> ids;
  ids.reserve(instances.size());
  for (const auto& instance : instances) ids.push_back(instance->id.str());
  return MaglevTable(ids, size);
}

int MaglevTable::home(std::uint64_t key_hash) const {
  if (slots_.empty()) return -1;
  return static_cast<int>(slots_[walk_start(key_hash)]);
}

std::vector<std::uint32_t> MaglevTable::preference(std::uint64_t key_hash, std::size_t count) const {
  std::vector<std::uint32_t> out;
  if (slots_.empty()) return out;
  count = std::min(count, instance_count_);
  const std::size_t start = walk_start(key_hash);
  for (std::size_t k = 0; k < slots_.size() && out.size() < count; ++k) {
    const std::uint32_t i = walk_entry(start + k);
    if (std::find(out.begin(), out.end(), i) == out.end()) out.push_back(i);
  }
  return out;
}

}  // namespace sluice::balance
