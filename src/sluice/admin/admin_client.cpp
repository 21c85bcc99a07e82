#include "sluice/admin/admin_client.h"

#include <fmt/format.h>

#include <cctype>
#include <charconv>

#include "sluice/net/http_get.h"
#include "sluice/net/tls.h"

namespace sluice::admin {

std::expected<AdminUrl, std::string> parse_admin_url(std::string_view url) {
  AdminUrl out;
  if (url.starts_with("http://")) {
    url.remove_prefix(7);
    out.port = 80;
  } else if (url.starts_with("https://")) {
    url.remove_prefix(8);
    out.https = true;
    out.port = 443;
  } else {
    return std::unexpected(fmt::format("expected http://host:port or https://host:port, got \"{}\"", url));
  }
  const std::size_t slash = url.find('/');
  std::string_view authority = url.substr(0, slash);
  if (slash != std::string_view::npos) {
    std::string_view prefix = url.substr(slash);
    while (prefix.ends_with('/')) prefix.remove_suffix(1);
    out.prefix = std::string(prefix);
  }
  std::string_view port_text;
  if (authority.starts_with('[')) {  // [::1]:9090
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) return std::unexpected("an IPv6 address must be closed by ']'");
    out.host = std::string(authority.substr(1, close - 1));
    const std::string_view rest = authority.substr(close + 1);
    if (!rest.empty()) {
      if (!rest.starts_with(':')) return std::unexpected(fmt::format("unexpected \"{}\" after the address", rest));
      port_text = rest.substr(1);
    }
  } else {
    const std::size_t colon = authority.rfind(':');
    out.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port_text = authority.substr(colon + 1);
  }
  if (out.host.empty()) return std::unexpected("the URL has no host");
  if (!port_text.empty()) {
    unsigned port = 0;
    const auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc{} || end != port_text.data() + port_text.size() || port == 0 || port > 65535)
      return std::unexpected(fmt::format("the port \"{}\" is not a number from 1 to 65535", port_text));
    out.port = static_cast<std::uint16_t>(port);
  }
  return out;
}

std::string percent_encode(std::string_view text) {
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') out += static_cast<char>(c);
    else out += fmt::format("%{:02X}", c);
  }
  return out;
}

std::expected<AdminClient, std::string> AdminClient::make(std::string_view url, std::string token, std::string cacert,
                                                          std::chrono::milliseconds timeout) {
  auto parsed = parse_admin_url(url);
  if (!parsed) return std::unexpected(fmt::format("--url {}: {}", url, parsed.error()));
  AdminClient client;
  client.url_text_ = std::string(url);
  while (client.url_text_.ends_with('/')) client.url_text_.pop_back();
  client.url_ = std::move(*parsed);
  client.token_ = std::move(token);
  client.timeout_ = timeout;
  if (client.url_.https) {
    auto tls = net::UpstreamTls::make(/*verify=*/true, cacert);
    if (!tls) return std::unexpected(tls.error());
    client.tls_ = std::move(*tls);
  } else if (!cacert.empty()) {
    return std::unexpected("--cacert is for https:// admin URLs");
  }
  return client;
}

std::expected<AdminAnswer, std::string> AdminClient::call(net::http::verb method, std::string_view target,
                                                          std::string body) const {
  namespace asio = net::asio;
  asio::io_context io(1);
  std::expected<AdminAnswer, std::string> result = std::unexpected(std::string("no answer"));
  asio::co_spawn(io,
                 net::http_request(method, url_.host, url_.port, url_.prefix + std::string(target), std::move(body),
                                   timeout_, tls_.get(), token_),
                 [&result](std::exception_ptr e, std::expected<net::HttpAnswer, std::string> answer) {
                   if (e) {
                     try {
                       std::rethrow_exception(e);
                     } catch (const std::exception& ex) {
                       result = std::unexpected(std::string(ex.what()));
                     } catch (...) {
                       result = std::unexpected(std::string("the request failed"));
                     }
                     return;
                   }
                   if (answer) result = AdminAnswer{answer->status, std::move(answer->body)};
                   else result = std::unexpected(std::move(answer.error()));
                 });
  io.run();
  return result;
}

}  // namespace sluice::admin
