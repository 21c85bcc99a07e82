#include "sluice/net/http_get.h"

namespace sluice::net {

asio::awaitable<std::expected<std::string, std::string>> http_get(std::string host, std::uint16_t port,
                                                                  std::string target,
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
  http::request<http::empty_body> req{http::verb::get, target, 11};
  req.set(http::field::host, host + ":" + std::to_string(port));
  req.keep_alive(false);
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
  if (res.result_int() != 200) co_return std::unexpected("status " + std::to_string(res.result_int()));
  co_return std::move(res.body());
}

}  // namespace sluice::net
