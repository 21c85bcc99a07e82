#pragma once
/// Base URLs of static endpoints: http://host:port[/prefix] or
/// https://host[:port][/prefix].
#include <cstdint>
#include <expected>
#include <string>
#include <string_view>

namespace sluice::provider {

struct BaseUrl {
  std::string host;
  std::uint16_t port = 80;  // 443 for https
  std::string path;  // "" or "/prefix", without a trailing slash and without "/v1"
  bool tls = false;  // https
};

/// Parses a base URL. A trailing "/v1" is dropped (OpenAI SDK habit), since
/// the gateway appends the full "/v1/…" path itself.
std::expected<BaseUrl, std::string> parse_base_url(std::string_view url);

}  // namespace sluice::provider
