#include <fmt/format.h>

#include <filesystem>

#include "commands.h"
#include "sluice/config/loader.h"
#include "sluice/config/warnings.h"
#include "sluice/store/migrations.h"

namespace sluice::app {

int run_check_config(const std::string& path) {
  auto config = config::load_config_file(path);
  if (!config) {
    for (const auto& e : config.error()) fmt::print(stderr, "{}\n", e.to_string());
    fmt::print(stderr, "{}: {} error{}\n", path, config.error().size(), config.error().size() == 1 ? "" : "s");
    return 2;
  }
  // The store must be reachable and not newer than this sluice; nothing is written.
  auto store = store::check_store(config->store, std::filesystem::absolute(path).parent_path().string());
  if (!store) {
    fmt::print(stderr, "{}: store: {}\n", path, store.error().message);
    return 2;
  }
  fmt::print("{}: ok\n{}store: {}\n", path, config::summarize(*config), *store);
  for (const auto& warning : config::config_warnings(*config)) fmt::print(stderr, "warning: {}\n", warning);
  return 0;
}

int run_migrate(const std::string& config_path) {
  auto config = config::load_config_file(config_path);
  if (!config) {
    for (const auto& e : config.error()) fmt::print(stderr, "{}\n", e.to_string());
    return 2;
  }
  auto db = store::open_url(config->store.url, std::filesystem::absolute(config_path).parent_path().string());
  if (!db) {
    fmt::print(stderr, "sluice migrate: {}\n", db.error().message);
    return 1;
  }
  auto report = store::migrate(**db);
  if (!report) {
    fmt::print(stderr, "sluice migrate: {}\n", report.error().message);
    return 1;
  }
  if (report->from == report->to) {
    fmt::print("{}: already at schema version {}\n", (*db)->describe(), report->to);
  } else {
    fmt::print("{}: migrated from schema version {} to {}\n", (*db)->describe(), report->from, report->to);
  }
  return 0;
}

}  // namespace sluice::app
