#include "sluice/net/http_get.h"

#include "sluice/net/stream.h"
#include "sluice/net/tls.h"

namespace sluice::net {

namespace {

/// A connection to host:port (an IP address, or a name resolved first), and
/// the TLS handshake with `tls`; the stream's expiry bounds it all.
asio::awaitable<std::expected<Stream, std::string>> open(const std::string& host, std::uint16_t port,
                                                         std::chrono::milliseconds timeout, UpstreamTls* tls) {
  auto executor = co_await asio::this_coro::executor;
  beast::tcp_stream tcp(executor);
  tcp.expires_after(timeout);
  error_code ec;
  const auto address = asio::ip::make_address(host, ec);
  if (!ec) {
    auto [cec] = co_await tcp.async_connect(tcp::endpoint(address, port), use_nothrow);
    ec = cec;
  } else {
    tcp::resolver resolver(executor);
    auto [rec, results] = co_await resolver.async_resolve(host, std::to_string(port), use_nothrow);
    if (rec) co_return std::unexpected("resolve " + host + ": " + rec.message());
    auto [cec, ep] = co_await tcp.async_connect(results, use_nothrow);
    ec = cec;
  }
  if (ec) co_return std::unexpected("connect: " + ec.message());
  if (!tls) co_return Stream(std::move(tcp));
  co_return co_await tls_connect(std::move(tcp), *tls, host);
}

}  // namespace

asio::awaitable<std::expected<HttpAnswer, std::string>> http_request(http::verb verb, std::string host,
                                                                     std::uint16_t port, std::string target,
                                                                     std::string body,
                                                                     std::chrono::milliseconds timeout,
                                                                     UpstreamTls* tls, std::string bearer) {
  auto opened = co_await open(host, port, timeout, tls);
  if (!opened) co_return std::unexpected(std::move(opened.error()));
  Stream& stream = *opened;
  http::request<http::string_body> req{verb, target, 11};
  req.set(http::field::host, host + ":" + std::to_string(port));
  req.keep_alive(false);
  if (!bearer.empty()) req.set(http::field::authorization, "Bearer " + bearer);
  if (!body.empty()) {
    req.set(http::field::content_type, "application/json");
    req.body() = std::move(body);
  }
  req.prepare_payload();
  if (auto [wec, n] = co_await http::async_write(stream, req, use_nothrow); wec) {
    co_return std::unexpected("write: " + wec.message());
  }
  beast::flat_buffer buffer;
  http::response<http::string_body> res;
  if (auto [rec, n] = co_await http::async_read(stream, buffer, res, use_nothrow); rec) {
    co_return std::unexpected(rec == beast::error::timeout ? std::string("timeout") : "read: " + rec.message());
  }
  error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  co_return HttpAnswer{static_cast<int>(res.result_int()), std::move(res.body())};
}

asio::awaitable<std::expected<std::string, std::string>> http_get(std::string host, std::uint16_t port,
                                                                  std::string target,
                                                                  std::chrono::milliseconds timeout,
                                                                  UpstreamTls* tls) {
  auto answer = co_await http_request(http::verb::get, std::move(host), port, std::move(target), {}, timeout, tls);
  if (!answer) co_return std::unexpected(answer.error());
  if (answer->status != 200) co_return std::unexpected("status " + std::to_string(answer->status));
  co_return std::move(answer->body);
}

}  // namespace sluice::net
