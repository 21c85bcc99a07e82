#pragma once
/// What a valid config says that deserves a second look — settings sluice
/// accepts but does not act on, or that switch a safety off (static.verify:
/// false): one line per finding, for `serve` to log and `check-config` to print.
#include <string>
#include <vector>

#include "sluice/config/config.h"

namespace sluice::config {

/// One line per finding, "key (…): what it means".
std::vector<std::string> config_warnings(const Config& config);

}  // namespace sluice::config
