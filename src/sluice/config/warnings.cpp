#include "sluice/config/warnings.h"

#include <fmt/format.h>

namespace sluice::config {

std::vector<std::string> config_warnings(const Config& config) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < config.tenants.size(); ++i) {
    const Tenant& t = config.tenants[i];
    if (t.limits.budget) {
      out.push_back(fmt::format("tenants[{}].limits.budget ({}, tenant {}) is accepted but not enforced yet: "
                                "requests are not limited by spend",
                                i, *t.limits.budget, t.id));
    }
  }
  return out;
}

}  // namespace sluice::config
