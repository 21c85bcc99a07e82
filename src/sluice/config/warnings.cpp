#include "sluice/config/warnings.h"

#include <fmt/format.h>

namespace sluice::config {

std::vector<std::string> config_warnings(const Config& config) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < config.models.size(); ++i) {
    const Model& m = config.models[i];
    if (m.source != ModelSource::kStatic || m.static_source.verify) continue;
    out.push_back(fmt::format("models[{}].static.verify is false (model {}): the certificates of its https endpoints "
                              "are not checked; anyone on the path can impersonate them",
                              i, m.name));
  }
  return out;
}

}  // namespace sluice::config
