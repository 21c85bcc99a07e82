#pragma once
/// Instances for the picking-policy tests.
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "sluice/balance/routing_table.h"

namespace sluice::balance::testing {

/// `n` fresh instances; with `id_prefix`, their ids are "prefix/0", "prefix/1", …
inline std::vector<std::shared_ptr<Instance>> make_instances(std::size_t n, std::string_view id_prefix = {}) {
  std::vector<std::shared_ptr<Instance>> out;
  for (std::size_t i = 0; i < n; ++i) {
    auto instance = std::make_shared<Instance>();
    if (!id_prefix.empty()) instance->id = core::InstanceId(std::string(id_prefix) + "/" + std::to_string(i));
    out.push_back(std::move(instance));
  }
  return out;
}

}  // namespace sluice::balance::testing
