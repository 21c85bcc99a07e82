#pragma once
/// Subcommands of the one `sluice` binary.
#include <string>

namespace sluice::app {

struct ServeOptions {
  std::string config_path;
  bool quiet = false;  // no banner (tests)
};

int run_serve(const ServeOptions& options);
int run_check_config(const std::string& path);

}  // namespace sluice::app
