#include "sluice/balance/routing_table.h"

#include <algorithm>

namespace sluice::balance {

bool same_instances(std::span<const std::shared_ptr<Instance>> instances, std::span<const std::uint64_t> serials) {
  return instances.size() == serials.size() &&
         std::equal(instances.begin(), instances.end(), serials.begin(),
                    [](const auto& i, std::uint64_t s) { return i->serial == s; });
}

std::uint64_t next_instance_serial() {
  static std::atomic<std::uint64_t> serial{1};
  return serial.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace sluice::balance

namespace sluice::balance {

std::shared_ptr<const RoutingTable> without_unavailable(const RoutingTable& table) {
  auto next = std::make_shared<RoutingTable>(table);
  for (auto& model : next->models) {
    std::erase_if(model.instances, [](const auto& i) { return !i->available.load(std::memory_order_relaxed); });
  }
  return next;
}

std::vector<std::string> models_without_instance(const RoutingTable& table, std::int64_t now_ns,
                                                 std::span<const std::string> only) {
  std::vector<std::string> out;
  for (const ModelRoute& m : table.models) {
    if (!only.empty() && std::find(only.begin(), only.end(), m.name) == only.end()) continue;
    const bool serves = std::any_of(m.instances.begin(), m.instances.end(), [now_ns](const auto& i) {
      return i->available.load(std::memory_order_relaxed) && i->usable(now_ns);
    });
    if (!serves) out.push_back(m.name);
  }
  return out;
}

}  // namespace sluice::balance
