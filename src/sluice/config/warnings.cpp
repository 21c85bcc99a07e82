#include "sluice/config/warnings.h"

#include <fmt/format.h>

namespace sluice::config {

std::vector<std::string> config_warnings(const Config& config) {
  std::vector<std::string> out;
  (void)config;  // nothing is accepted and ignored at present
  return out;
}

}  // namespace sluice::config
