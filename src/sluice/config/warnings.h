#pragma once
/// What a valid config says that sluice accepts but does not act on yet:
/// one line per finding, for `serve` to log and `check-config` to print.
#include <string>
#include <vector>

#include "sluice/config/config.h"

namespace sluice::config {

/// E.g. "tenants[0].limits.budget is accepted but not enforced yet: …".
std::vector<std::string> config_warnings(const Config& config);

}  // namespace sluice::config
