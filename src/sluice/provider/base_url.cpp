#include "sluice/provider/base_url.h"

#include <charconv>

namespace sluice::provider {

std::expected<BaseUrl, std::string> parse_base_url(std::string_view url) {
  constexpr std::string_view kHttp = "http://";
  constexpr std::string_view kHttps = "https://";
  BaseUrl out;
  out.tls = url.starts_with(kHttps);
  if (!out.tls && !url.starts_with(kHttp)) return std::unexpected("expected a URL starting with http:// or https://");
  if (out.tls) out.port = 443;
  std::string_view rest = url.substr(out.tls ? kHttps.size() : kHttp.size());
  const std::size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? std::string_view() : rest.substr(slash);
  const std::size_t colon = authority.rfind(':');
  if (colon == std::string_view::npos) {
    out.host = std::string(authority);
  } else {
    out.host = std::string(authority.substr(0, colon));
    const std::string_view port = authority.substr(colon + 1);
    unsigned value = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec != std::errc{} || end != port.data() + port.size() || value == 0 || value > 65535)
      return std::unexpected("invalid port in URL");
    out.port = static_cast<std::uint16_t>(value);
  }
  if (out.host.empty()) return std::unexpected("missing host in URL");
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  if (path.ends_with("/v1")) path.remove_suffix(3);
  out.path = std::string(path);
  return out;
}

}  // namespace sluice::provider
