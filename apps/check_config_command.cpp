#include <fmt/format.h>

#include "commands.h"
#include "sluice/config/loader.h"
#include "sluice/config/warnings.h"

namespace sluice::app {

int run_check_config(const std::string& path) {
  auto config = config::load_config_file(path);
  if (!config) {
    for (const auto& e : config.error()) fmt::print(stderr, "{}\n", e.to_string());
    fmt::print(stderr, "{}: {} error{}\n", path, config.error().size(), config.error().size() == 1 ? "" : "s");
    return 2;
  }
  fmt::print("{}: ok\n{}", path, config::summarize(*config));
  for (const auto& warning : config::config_warnings(*config)) fmt::print(stderr, "warning: {}\n", warning);
  return 0;
}

}  // namespace sluice::app
