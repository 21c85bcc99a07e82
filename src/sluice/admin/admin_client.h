#pragma once
/// A blocking client of the admin API, for `sluice admin …`: one request
/// per call on a new connection, bounded by a timeout, over http or https
/// (the server's certificate checked against a CA file or the system's CAs),
/// with the admin token as a bearer token.
///
/// Thread-safety: const members from one thread at a time (each call runs
/// its own io_context; the TLS context is shared).
#include <chrono>
#include <cstdint>
#include <expected>
#include <memory>
#include <string>
#include <string_view>

#include "sluice/net/asio.h"

namespace sluice::net {
class UpstreamTls;
}

namespace sluice::admin {

/// http[s]://host[:port][/prefix]; a host may be a name, an IPv4 address or
/// a bracketed IPv6 address.
struct AdminUrl {
  bool https = false;
  std::string host;  // without brackets
  std::uint16_t port = 0;
  std::string prefix;  // "" or "/prefix", no trailing slash
};

/// The parts of `url`, or why it is not one ("expected http:// or https://").
std::expected<AdminUrl, std::string> parse_admin_url(std::string_view url);

/// "a b/c" → "a%20b%2Fc": a query parameter's value.
std::string percent_encode(std::string_view text);

struct AdminAnswer {
  int status = 0;
  std::string body;
};

class AdminClient {
 public:
  /// `cacert`: PEM bundle that signs an https server's certificate ("" =
  /// the system's CAs). Fails on a bad URL or an unreadable CA file.
  static std::expected<AdminClient, std::string> make(std::string_view url, std::string token, std::string cacert,
                                                      std::chrono::milliseconds timeout);

  /// One request: `target` is the path and query ("/admin/usage?since=7d");
  /// a non-empty `body` is sent as JSON. The answer of any status, or why
  /// there is none ("connect: Connection refused", "timeout",
  /// "certificate verify failed: …").
  std::expected<AdminAnswer, std::string> call(net::http::verb method, std::string_view target,
                                               std::string body = {}) const;

  /// The URL as given, without a trailing slash: for messages.
  const std::string& url() const { return url_text_; }
  bool has_token() const { return !token_.empty(); }

 private:
  AdminClient() = default;
  std::string url_text_;
  AdminUrl url_;
  std::string token_;
  std::chrono::milliseconds timeout_{10000};
  std::shared_ptr<net::UpstreamTls> tls_;
};

}  // namespace sluice::admin
