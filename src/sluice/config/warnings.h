#pragma once
/// What a valid config says that sluice accepts but does not act on yet:
/// one line per finding, for `serve` to log and `check-config` to print.
#include <string>
#include <vector>

#include "sluice/config/config.h"

namespace sluice::config {

/// One line per finding (none at present; the format is "key (…): what is ignored").
std::vector<std::string> config_warnings(const Config& config);

}  // namespace sluice::config
