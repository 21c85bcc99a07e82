#include "sluice/config/value_text.h"

#include <array>
#include <charconv>
#include <limits>
#include <utility>

namespace sluice::config {
namespace {

constexpr std::size_t kQuoteLimit = 60;

std::optional<std::uint64_t> parse_digits(std::string_view text) {
  if (text.empty()) return std::nullopt;
  std::uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::optional<std::uint16_t> parse_port(std::string_view text) {
  auto value = parse_digits(text);
  if (!value || *value > 65535) return std::nullopt;
  return static_cast<std::uint16_t>(*value);
}

}  // namespace

std::optional<std::uint64_t> parse_byte_size(std::string_view text) {
  static constexpr std::array<std::pair<std::string_view, std::uint64_t>, 7> kUnits = {{
      {"KiB", 1ULL << 10}, {"MiB", 1ULL << 20}, {"GiB", 1ULL << 30},
      {"KB", 1000ULL}, {"MB", 1000ULL * 1000}, {"GB", 1000ULL * 1000 * 1000}, {"B", 1},
  }};
  std::uint64_t scale = 1;
  std::string_view number = text;
  for (const auto& [suffix, factor] : kUnits) {
    if (text.ends_with(suffix)) {
      number = text.substr(0, text.size() - suffix.size());
      scale = factor;
      break;
    }
  }
  auto value = parse_digits(number);
  if (!value || *value > std::numeric_limits<std::uint64_t>::max() / scale) return std::nullopt;
  return *value * scale;
}

std::optional<Endpoint> parse_host_port(std::string_view text) {
  std::string_view host;
  std::string_view port;
  if (text.starts_with('[')) {
    const auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') return std::nullopt;
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    const auto colon = text.find(':');
    if (colon == std::string_view::npos || text.find(':', colon + 1) != std::string_view::npos) return std::nullopt;
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  if (host.empty() || host.find_first_of(" \t/") != std::string_view::npos) return std::nullopt;
  auto number = parse_port(port);
  if (!number) return std::nullopt;
  return Endpoint{std::string(host), *number};
}

std::string format_endpoint(const Endpoint& endpoint) {
  const bool v6 = endpoint.host.find(':') != std::string::npos;
  return (v6 ? "[" + endpoint.host + "]" : endpoint.host) + ":" + std::to_string(endpoint.port);
}

std::optional<HttpUrl> parse_http_url(std::string_view text) {
  constexpr std::string_view kScheme = "http://";
  if (!text.starts_with(kScheme)) return std::nullopt;
  std::string_view rest = text.substr(kScheme.size());
  if (rest.find_first_of("?#@") != std::string_view::npos) return std::nullopt;
  const auto slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  std::string_view prefix = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash);
  auto endpoint = parse_host_port(authority);
  if (!endpoint || endpoint->port == 0) return std::nullopt;
  while (prefix.ends_with('/')) prefix.remove_suffix(1);
  return HttpUrl{std::move(*endpoint), std::string(prefix)};
}

std::optional<HttpUrl> parse_endpoint_url(std::string_view text) {
  constexpr std::string_view kScheme = "https://";
  if (!text.starts_with(kScheme)) return parse_http_url(text);
  std::string_view rest = text.substr(kScheme.size());
  if (rest.find_first_of("?#@") != std::string_view::npos) return std::nullopt;
  const auto slash = rest.find('/');
  const std::string_view authority = rest.substr(0, slash);
  std::string_view prefix = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash);
  // A port is optional: after the last ':' outside an IPv6 literal's brackets.
  const auto colon = authority.rfind(':');
  const bool has_port = colon != std::string_view::npos && authority.find(']', colon) == std::string_view::npos;
  auto endpoint = parse_host_port(has_port ? std::string(authority) : std::string(authority) + ":443");
  if (!endpoint || endpoint->port == 0) return std::nullopt;
  while (prefix.ends_with('/')) prefix.remove_suffix(1);
  return HttpUrl{std::move(*endpoint), std::string(prefix), true};
}

std::string ascii_lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

bool is_header_name(std::string_view text) {
  constexpr std::string_view kTokenPunct = "!#$%&'*+-.^_`|~";
  if (text.empty()) return false;
  for (char c : text) {
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (!alnum && kTokenPunct.find(c) == std::string_view::npos) return false;
  }
  return true;
}

std::string quote(std::string_view text) {
  std::string out = "\"";
  const bool cut = text.size() > kQuoteLimit;
  for (char c : text.substr(0, kQuoteLimit)) {
    if (c == '"' || c == '\\') out.push_back('\\');
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out.push_back(c);
  }
  out += cut ? "...\"" : "\"";
  return out;
}

std::string describe(const YAML::Node& node) {
  if (!node.IsDefined() || node.IsNull()) return "an empty value";
  if (node.IsMap()) return "a mapping";
  if (node.IsSequence()) return "a list";
  return quote(node.Scalar());
}

}  // namespace sluice::config
