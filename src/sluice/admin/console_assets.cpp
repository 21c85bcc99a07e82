#include "sluice/admin/console_assets.h"

#include <algorithm>
#include <array>
#include <utility>

namespace sluice::admin {

std::string_view content_type_for(std::string_view name) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 10> kTypes{{
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".ico", "image/x-icon"},
      {".json", "application/json"},
      {".txt", "text/plain; charset=utf-8"},
      {".woff2", "font/woff2"},
      {".webmanifest", "application/manifest+json"},
  }};
  for (const auto& [ext, type] : kTypes) {
    if (name.ends_with(ext)) return type;
  }
  return "application/octet-stream";
}

std::optional<ConsoleAsset> find_console_asset(std::string_view path) {
  std::string_view name;
  if (path == "/console" || path == "/console/") {
    name = "index.html";
  } else if (path.starts_with("/console/")) {
    name = path.substr(9);
  } else {
    return std::nullopt;
  }
  const auto files = embedded_console_files();
  const auto it = std::ranges::find(files, name, &EmbeddedFile::path);
  if (it == files.end()) return std::nullopt;
  return ConsoleAsset{it->bytes, content_type_for(name), it->etag, name.starts_with("assets/")};
}

bool etag_matches(std::string_view if_none_match, std::string_view etag) {
  // A comma-separated list of entity tags, weak ones (W/"…") compared weakly.
  while (!if_none_match.empty()) {
    const std::size_t comma = if_none_match.find(',');
    std::string_view tag = if_none_match.substr(0, comma);
    while (!tag.empty() && (tag.front() == ' ' || tag.front() == '\t')) tag.remove_prefix(1);
    while (!tag.empty() && (tag.back() == ' ' || tag.back() == '\t')) tag.remove_suffix(1);
    if (tag.starts_with("W/")) tag.remove_prefix(2);
    if (tag == "*" || tag == etag) return true;
    if (comma == std::string_view::npos) break;
    if_none_match.remove_prefix(comma + 1);
  }
  return false;
}

}  // namespace sluice::admin
