#include "sluice/balance/hash_ring.h"

#include <algorithm>

#include "sluice/balance/stable_hash.h"

namespace sluice::balance {

namespace {
constexpr std::uint64_t kPointSeed = 0x72696E6730303031ULL;  // "ring0001"
}  // namespace

HashRing::HashRing(std::span<const std::string_view> ids, std::size_t points_per_instance)
    : instance_count_(ids.size()) {
  points_per_instance = std::max<std::size_t>(points_per_instance, 1);
  points_.reserve(ids.size() * points_per_instance);
  for (std::size_t i = 0; i < ids.size(); ++i) {
    const std::uint64_t base = stable_hash(ids[i], kPointSeed);
    for (std::size_t v = 0; v < points_per_instance; ++v) {
      points_.push_back(Point{.hash = stable_hash(v, base), .instance = static_cast<std::uint32_t>(i)});
    }
  }
  // Ties (two points on one hash) are broken by id, so the ring does not
  // depend on the order of the list.
  std::sort(points_.begin(), points_.end(), [&](const Point& a, const Point& b) {
    return a.hash != b.hash ? a.hash < b.hash : ids[a.instance] < ids[b.instance];
  });
}

HashRing HashRing::for_instances(std::span<const std::shared_ptr<Instance>> instances,
                                 std::size_t points_per_instance) {
  std::vector<std::string_view> ids;
  ids.reserve(instances.size());
  for (const auto& instance : instances) ids.push_back(instance->id.str());
  return HashRing(ids, points_per_instance);
}

std::size_t HashRing::walk_start(std::uint64_t key_hash) const {
  const auto it = std::lower_bound(points_.begin(), points_.end(), key_hash,
                                   [](const Point& p, std::uint64_t h) { return p.hash < h; });
  return it == points_.end() ? 0 : static_cast<std::size_t>(it - points_.begin());
}

int HashRing::home(std::uint64_t key_hash) const {
  if (points_.empty()) return -1;
  return static_cast<int>(walk_entry(walk_start(key_hash)));
}

std::vector<std::uint32_t> HashRing::preference(std::uint64_t key_hash, std::size_t count) const {
  std::vector<std::uint32_t> out;
  if (points_.empty()) return out;
  count = std::min(count, instance_count_);
  const std::size_t start = walk_start(key_hash);
  for (std::size_t k = 0; k < points_.size() && out.size() < count; ++k) {
    const std::uint32_t i = walk_entry(start + k);
    if (std::find(out.begin(), out.end(), i) == out.end()) out.push_back(i);
  }
  return out;
}

}  // namespace sluice::balance
