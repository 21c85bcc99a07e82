#pragma once
/// The web console's files (console/, built into console/dist and embedded
/// into the binary by console/embed.cmake), looked up by request path.
///
/// Lookup is an exact match against the embedded names: nothing is read
/// from disk and no path is decoded or normalised, so `..`, `%2e%2e` or a
/// doubled slash simply match nothing (404). The files hold no data: the
/// page reads everything from the admin API with the token the operator
/// types in, so they are served without a token.
///
/// Thread-safety: everything here is immutable after static initialisation.
#include <optional>
#include <span>
#include <string_view>

namespace sluice::admin {

/// One embedded file: its path under console/dist, its bytes and a strong
/// ETag (quoted, from the file's SHA-256).
struct EmbeddedFile {
  std::string_view path;
  std::string_view bytes;
  std::string_view etag;
};

/// Every embedded file (generated from console/dist at build time).
std::span<const EmbeddedFile> embedded_console_files();

/// A file to answer a GET under /console with.
struct ConsoleAsset {
  std::string_view body;
  std::string_view content_type;
  std::string_view etag;
  /// Vite's hashed assets (console/dist/assets/) never change under their
  /// name: cached for a year. index.html is revalidated on every load.
  bool immutable = false;
};

/// The asset for `path` (the request target without its query): "/console"
/// and "/console/" are index.html, "/console/<name>" is that file.
/// nullopt for anything else.
std::optional<ConsoleAsset> find_console_asset(std::string_view path);

/// The Content-Type for a file name, by its extension.
std::string_view content_type_for(std::string_view name);

/// True when an If-None-Match header value names `etag` (or is "*").
bool etag_matches(std::string_view if_none_match, std::string_view etag);

}  // namespace sluice::admin
