#include "sluice/net/http_get.h"

namespace sluice::net {

asio::awaitable<std::expected<HttpAnswer, std::string>> http_request(http::verb verb, std::string host,
                                                                     std::uint16_t port, std::string target,
                                                                     std::string body,
                                                                     std::chrono::milliseconds timeout) {
  beast::tcp_stream stream(co_await asio::this_coro::executor);
  stream.expires_after(timeout);
  error_code ec;
  const auto address = asio::ip::make_address(host, ec);
  if (ec) co_return std::unexpected("bad address " + host);
  const tcp::endpoint endpoint(address, port);
  if (auto [cec] = co_await stream.async_connect(endpoint, use_nothrow); cec) {
    co_return std::unexpected("connect: " + cec.message());
  }
  http::request<http::string_body> req{verb, target, 11};
  req.set(http::field::host, host + ":" + std::to_string(port));
  req.keep_alive(false);
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
  co_return HttpAnswer{res.result_int(), std::move(res.body())};
}

asio::awaitable<std::expected<std::string, std::string>> http_get(std::string host, std::uint16_t port,
                                                                  std::string target,
                                                                  std::chrono::milliseconds timeout) {
  auto answer = co_await http_request(http::verb::get, std::move(host), port, std::move(target), {}, timeout);
  if (!answer) co_return std::unexpected(answer.error());
  if (answer->status != 200) co_return std::unexpected("status " + std::to_string(answer->status));
  co_return std::move(answer->body);
}

}  // namespace sluice::net
