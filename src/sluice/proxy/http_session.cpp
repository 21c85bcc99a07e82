#include "sluice/proxy/http_session.h"

#include <algorithm>
#include <iterator>
#include <vector>

#include "sluice/net/tls.h"
#include "sluice/proxy/client_writer.h"
#include "sluice/proxy/handlers.h"

namespace sluice::proxy {

using namespace sluice::net;
using core::Error;
using core::ErrorCode;

namespace {

constexpr std::size_t kClientReadBuffer = 16 * 1024;
/// Closing after an error while the client may still be sending (a body over
/// the limit): what is read and thrown away first, so that the client reads
/// the answer instead of a reset (nginx's lingering close).
constexpr std::size_t kLingerMaxBytes = 64 * 1024 * 1024;
constexpr auto kLingerMaxTime = std::chrono::seconds(10);
constexpr auto kLingerIdle = std::chrono::seconds(2);
constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
/// How long a TLS connection that ends waits for the client's close_notify.
constexpr auto kTlsCloseWait = std::chrono::seconds(1);

bool wants_continue(const http::request<http::string_body>& req) {
  return beast::iequals(req[http::field::expect], "100-continue");
}

/// The error for a request that could not be read, or nullopt when the
/// connection simply ended (or idled out before a byte of a new request).
std::optional<Error> read_failure(const error_code& ec, bool got_some, const config::ServerConfig& server) {
  if (ec == http::error::end_of_stream || ec == asio::error::eof || ec == asio::error::connection_reset ||
      ec == asio::error::operation_aborted)
    return std::nullopt;
  if (ec == beast::error::timeout)
    return got_some ? std::optional(Error{ErrorCode::kRequestTimeout, "the request was not received in time", ""})
                    : std::nullopt;
  if (ec == http::error::body_limit)
    return Error{ErrorCode::kBodyTooLarge,
                 "request body is larger than the limit of " + std::to_string(server.max_body_bytes) + " bytes", ""};
  if (ec == http::error::header_limit)
    return Error{ErrorCode::kHeadersTooLarge,
                 "request headers are larger than the limit of " + std::to_string(server.max_header_bytes) + " bytes", ""};
  if (!got_some) return std::nullopt;
  return Error{ErrorCode::kInvalidRequest, "malformed HTTP request: " + ec.message(), ""};
}

/// Ends the connection after an answer sent before the request was read
/// whole: stops sending (the client sees the end of the answer), then reads
/// and discards what the client still sends — up to kLingerMaxBytes, for
/// kLingerMaxTime, or until it pauses kLingerIdle — so that closing a socket
/// with unread data does not reset the connection before the client has
/// read the answer.
asio::awaitable<void> linger_close(Stream& client) {
  error_code ignored;
  client.socket().shutdown(tcp::socket::shutdown_send, ignored);
  std::vector<char> sink(64 * 1024);
  std::size_t drained = 0;
  const auto until = std::chrono::steady_clock::now() + kLingerMaxTime;
  while (drained < kLingerMaxBytes) {
    const auto now = std::chrono::steady_clock::now();
    if (now >= until) break;
    client.expires_at(std::min(until, now + kLingerIdle));
    auto [ec, n] = co_await client.async_read_some(asio::buffer(sink), use_nothrow);
    if (ec) break;
    drained += n;
  }
  client.expires_never();
}

asio::awaitable<bool> dispatch(Worker& worker, Stream& client, RequestContext& rc, ClientRequest& req) {
  const bool keep = req.keep_alive() && !worker.ctx.draining.load(std::memory_order_relaxed);
  const std::string_view path = rc.path;
  // Errors are built into locals before co_await: GCC 12 mishandles braced
  // temporaries inside co_await expressions (double destruction).
  const auto method_not_allowed = [&](std::string_view allowed) -> asio::awaitable<bool> {
    const Error error{ErrorCode::kMethodNotAllowed, "use " + std::string(allowed) + " for " + std::string(path), ""};
    co_return co_await write_error(client, rc, error, keep);
  };
  if (path == "/v1/chat/completions" || path == "/v1/completions") {
    if (req.method() != http::verb::post) co_return co_await method_not_allowed("POST");
    co_return co_await handle_completion(worker, client, rc, req,
                                         path == "/v1/completions" ? ApiKind::kCompletion : ApiKind::kChat);
  }
  if (path == "/v1/models" || path.starts_with("/v1/models/")) {
    if (req.method() != http::verb::get) co_return co_await method_not_allowed("GET");
    const std::string_view id = path.size() > 11 ? path.substr(11) : std::string_view();
    co_return co_await handle_models(worker, client, rc, req, id);
  }
  if (path == "/v1/sluice/usage" || path == "/v1/sluice/remaining") {
    if (req.method() != http::verb::get) co_return co_await method_not_allowed("GET");
    co_return co_await handle_tenant_state(worker, client, rc, req);
  }
  const Error not_found{ErrorCode::kNotFound, "no route for " + std::string(path), ""};
  co_return co_await write_error(client, rc, not_found, keep);
}

asio::awaitable<void> serve_connection(Worker& worker, Stream client) {
  error_code ignored;
  beast::flat_buffer buffer;
  buffer.reserve(kClientReadBuffer);  // a typical request in one recv, not 512-byte reads
  LazyDeadline deadline(client.get_executor());
  LazyDeadline watch_delay(client.get_executor());
  for (;;) {
    RequestContext rc;
    rc.config = worker.ctx.config.load();
    rc.deadline = &deadline;
    rc.watch_delay = &watch_delay;
    const config::ServerConfig& server = rc.config->config.server;
    http::request_parser<http::string_body> parser;
    parser.header_limit(server.max_header_bytes);
    parser.body_limit(server.max_body_bytes);
    // The read deadline is not the stream's expiry: an expired
    // beast::tcp_stream closes the socket, and the client would never see
    // its 408. It is a LazyDeadline, so moving it costs no syscall.
    bool timed_out = false;
    deadline.set(std::chrono::steady_clock::now() + server.request_read_timeout, [&timed_out, &client] {
      timed_out = true;
      error_code ignored;
      client.socket().cancel(ignored);
    });
    auto [ec, n] = co_await http::async_read_header(client, buffer, parser, use_nothrow);
    if (!ec && !parser.is_done() && wants_continue(parser.get())) {
      // curl sends `Expect: 100-continue` with bodies over 1 KiB and would
      // otherwise wait a second before sending the body. Limits were
      // checked with the header (a too-large Content-Length fails above).
      auto [wec, wn] = co_await asio::async_write(client, asio::buffer(kContinue), use_nothrow);
      ec = wec;
    }
    if (!ec && !parser.is_done()) {
      auto [bec, bn] = co_await http::async_read(client, buffer, parser, use_nothrow);
      ec = bec;
    }
    deadline.clear();
    rc.started = worker.clock.now();
    if (ec) {
      if (timed_out) ec = beast::error::timeout;
      auto error = read_failure(ec, parser.got_some(), server);
      if (error) {
        rc.request_id = worker.new_request_id();
        if (parser.is_header_done()) {  // for the access log
          rc.method = std::string(parser.get().method_string());
          const std::string_view target = parser.get().target();
          rc.path = std::string(target.substr(0, target.find('?')));
        }
        const bool written = co_await write_error(client, rc, *error, false);
        rc.finish(worker.ctx, worker.clock.now());
        if (written) co_await linger_close(client);  // the client may still be sending its body
      }
      break;
    }
    ClientRequest req = parser.release();
    const auto client_id = req["x-request-id"];
    rc.request_id = is_valid_request_id(client_id) ? std::string(client_id) : worker.new_request_id();
    rc.method = std::string(req.method_string());
    const std::string_view target = req.target();
    rc.path = std::string(target.substr(0, target.find('?')));

    bool keep_alive = false;
    if (static_cast<std::size_t>(std::distance(req.begin(), req.end())) > server.max_header_count) {
      const Error too_many{ErrorCode::kHeadersTooLarge,
                           "too many request headers (limit " + std::to_string(server.max_header_count) + ")", ""};
      co_await write_error(client, rc, too_many, false);
    } else {
      // Whatever the route answered, `Connection: close` and HTTP/1.0
      // without keep-alive end the connection (the answer said so too).
      keep_alive = co_await dispatch(worker, client, rc, req) && req.keep_alive() &&
                   !worker.ctx.draining.load(std::memory_order_relaxed);
    }
    rc.finish(worker.ctx, worker.clock.now());
    if (!keep_alive) break;
  }
  if (client.is_tls()) {
    co_await close_gracefully(client, kTlsCloseWait);
  } else {
    client.socket().shutdown(tcp::socket::shutdown_send, ignored);
  }
}

}  // namespace

asio::awaitable<void> serve_client(Worker& worker, tcp::socket socket, std::shared_ptr<ssl::context> tls) {
  error_code ignored;
  socket.set_option(tcp::no_delay(true), ignored);
  if (!tls) co_return co_await serve_connection(worker, Stream(beast::tcp_stream(std::move(socket))));
  // The handshake gets the time a request has to arrive; a client that
  // fails it (gave up, spoke plain HTTP, refused the certificate) is dropped.
  const auto handshake_time = worker.ctx.config.load()->config.server.request_read_timeout;
  auto accepted = co_await tls_accept(std::move(socket), *tls, handshake_time);
  if (!accepted) co_return;
  co_await serve_connection(worker, std::move(*accepted));
}

}  // namespace sluice::proxy
