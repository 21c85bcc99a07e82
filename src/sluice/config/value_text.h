#pragma once
/// Plain-text forms of config values (sizes, host:port) and how values are
/// quoted in error messages. Pure functions.
#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "sluice/config/config.h"

namespace sluice::config {

/// "4194304", "512KiB", "4MiB", "1GiB" (powers of 1024), "4MB" (powers of
/// 1000), "100B". Nothing for anything else or on overflow.
std::optional<std::uint64_t> parse_byte_size(std::string_view text);

/// "host:port" or "[v6-address]:port"; host non-empty, port 0–65535.
std::optional<Endpoint> parse_host_port(std::string_view text);

/// "host:port", with brackets around an IPv6 host.
std::string format_endpoint(const Endpoint& endpoint);

/// An upstream base URL split into parts.
struct HttpUrl {
  Endpoint endpoint;   // host and port (port required, 1–65535)
  std::string prefix;  // path prefix without a trailing '/', e.g. "" or "/v1"
  bool tls = false;    // https
};

/// "http://host:port" with an optional path prefix. Nothing for other schemes,
/// a missing or bad port, a query or a fragment.
std::optional<HttpUrl> parse_http_url(std::string_view text);

/// A static endpoint's base URL: parse_http_url's, or "https://host[:port]"
/// (443 by default) with an optional path prefix.
std::optional<HttpUrl> parse_endpoint_url(std::string_view text);

/// `text` with A–Z turned into a–z (header names are compared lower-cased).
std::string ascii_lower(std::string_view text);

/// An HTTP field name: one or more token characters (RFC 9110, 5.6.2).
bool is_header_name(std::string_view text);

/// How a value is shown after "got": the quoted scalar (cut at 60
/// characters), "a mapping", "a list" or "an empty value".
std::string describe(const YAML::Node& node);

/// `text` in double quotes with `"` and `\` escaped, cut at 60 characters.
std::string quote(std::string_view text);

}  // namespace sluice::config
