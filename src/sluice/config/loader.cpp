#include "sluice/config/loader.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <tuple>

#include "sluice/config/sections.h"

namespace sluice::config {
namespace {

Location location_of_mark(const YAML::Mark& mark) {
  if (mark.is_null() || mark.line < 0) return {};
  return {mark.line + 1, mark.column + 1};
}

/// Errors in file order; those without a position first.
void sort_by_position(ConfigErrors& errors) {
  std::stable_sort(errors.begin(), errors.end(), [](const ConfigError& a, const ConfigError& b) {
    return std::tie(a.line, a.column) < std::tie(b.line, b.column);
  });
}

}  // namespace

std::string ConfigError::to_string() const {
  std::string out = file;
  if (line > 0) out += fmt::format(":{}:{}", line, column);
  out += ": ";
  if (!key.empty()) out += key + ": ";
  out += message;
  return out;
}

std::expected<Config, ConfigErrors> load_config_text(const std::string& text, const std::string& file_name) {
  Reader reader(file_name);
  Config config;
  config.source_path = file_name;
  // yaml-cpp reports syntax errors by throwing; they end the load here. The
  // readers below never throw by design, but a yaml-cpp surprise must still
  // become an error, not a crash.
  try {
    const YAML::Node root = YAML::Load(text);
    const Location at = location_of(root).line != 0 ? location_of(root) : Location{1, 1};
    const MapReader top(reader, root, "", at, {"listen", "server", "tenants", "models", "routes", "fleet", "store", "admin", "cluster"});
    if (top.is_map()) {
      read_listen(reader, top, config.listen);
      read_server(reader, top, config.server);
      read_tenants(reader, top, config.tenants);
      read_models(reader, top, config.models);
      read_routes(reader, top, config.server, config.routes);
      read_fleet(reader, top, config.fleet);
      read_store(reader, top, config.store);
      read_admin(reader, top, config.admin);
      read_cluster(reader, top, config.cluster);
      validate(reader, config);
    }
  } catch (const YAML::ParserException& e) {
    reader.fail(location_of_mark(e.mark), "", "invalid YAML: " + e.msg);
  } catch (const YAML::Exception& e) {
    reader.fail(location_of_mark(e.mark), "", e.msg);
  }
  if (!reader.has_errors()) return config;
  ConfigErrors errors = reader.take_errors();
  sort_by_position(errors);
  return std::unexpected(std::move(errors));
}

std::expected<Config, ConfigErrors> load_config_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return std::unexpected(ConfigErrors{
        ConfigError{path, 0, 0, "", fmt::format("cannot read the file: {}", std::strerror(errno))}});
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) {
    return std::unexpected(ConfigErrors{ConfigError{path, 0, 0, "", "cannot read the file: read error"}});
  }
  return load_config_text(text.str(), path);
}

}  // namespace sluice::config
