#include "sluice/engine/http_io.h"

#include "sluice/engine/openai_codec.h"

#include <sys/socket.h>

#include <array>
#include <cerrno>

#include <fmt/format.h>


namespace sluice::engine {

namespace asio = net::asio;
namespace http = net::http;

namespace {
constexpr std::string_view kServerName = "sluice-engine-sim";
}  // namespace

HttpResponse make_response(const HttpRequest& req, http::status status, std::string body, std::string_view content_type) {
  HttpResponse res{status, req.version()};
  res.set(http::field::server, kServerName);
  if (!content_type.empty()) res.set(http::field::content_type, content_type);
  if (const auto id = req.find("x-request-id"); id != req.end()) res.set("x-request-id", id->value());
  res.keep_alive(req.keep_alive());
  res.body() = std::move(body);
  res.prepare_payload();
  return res;
}

HttpResponse make_error(const HttpRequest& req, const core::Error& error) {
  return make_error(req, core::http_status(error.code), error);
}

HttpResponse make_error(const HttpRequest& req, int status, const core::Error& error) {
  return make_response(req, static_cast<http::status>(status), vllm_error_json(error, status));
}

asio::awaitable<bool> write_response(net::SocketStream& socket, HttpResponse res) {
  auto [ec, n] = co_await http::async_write(socket, res, net::use_nothrow);
  co_return !ec;
}

asio::awaitable<bool> write_stream_header(net::SocketStream& socket, const HttpRequest& req) {
  std::string head = fmt::format(
      "HTTP/1.1 200 OK\r\nServer: {}\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n"
      "Transfer-Encoding: chunked\r\n",
      kServerName);
  if (const auto id = req.find("x-request-id"); id != req.end()) {
    head += "x-request-id: ";
    head += id->value();
    head += "\r\n";
  }
  if (!req.keep_alive()) head += "Connection: close\r\n";
  head += "\r\n";
  auto [ec, n] = co_await asio::async_write(socket, asio::buffer(head), net::use_nothrow);
  co_return !ec;
}

asio::awaitable<bool> write_chunk(net::SocketStream& socket, std::string_view payload, bool last) {
  static constexpr std::string_view kCrLf = "\r\n";
  static constexpr std::string_view kLast = "0\r\n\r\n";
  std::array<char, 24> size_line{};
  const auto end = fmt::format_to(size_line.data(), "{:x}\r\n", payload.size());
  std::array<asio::const_buffer, 4> buffers{};
  std::size_t count = 0;
  if (!payload.empty()) {
    buffers[count++] = asio::buffer(size_line.data(), static_cast<std::size_t>(end - size_line.data()));
    buffers[count++] = asio::buffer(payload);
    buffers[count++] = asio::buffer(kCrLf);
  }
  if (last) buffers[count++] = asio::buffer(kLast);
  if (count == 0) co_return true;
  auto [ec, n] = co_await asio::async_write(socket, std::span(buffers.data(), count), net::use_nothrow);
  co_return !ec;
}

void watch_disconnect(net::tcp::socket& socket, std::shared_ptr<RequestState> state, RealTimeDriver& driver) {
  socket.async_wait(net::tcp::socket::wait_read, [&socket, &driver, state = std::move(state)](net::error_code ec) {
    if (state->released || ec == asio::error::operation_aborted) return;
    if (!ec) {
      char byte;
      const auto n = ::recv(socket.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
      if (n > 0 || (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))) return;  // pipelined data: stop watching
    }
    driver.client_gone(*state);
  });
}

}  // namespace sluice::engine
