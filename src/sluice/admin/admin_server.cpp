#include "sluice/admin/admin_server.h"

#include <nlohmann/json.hpp>

#include "sluice/admin/console_assets.h"
#include "sluice/core/error.h"
#include "sluice/net/listener.h"
#include "sluice/net/tls.h"

namespace sluice::admin {

using namespace sluice::net;

namespace {

struct Reply {
  http::status status;
  std::string content_type;
  std::string body;
  std::vector<std::pair<std::string_view, std::string>> headers = {};
};

/// /readyz while the gateway drains: 503, so a load balancer stops sending
/// and a watcher sees the drain, whatever readiness would say otherwise.
Reply draining_readyz() { return {http::status::service_unavailable, "application/json", "{\"status\":\"draining\"}\n"}; }

bool is_state_path(std::string_view path) {
  for (std::string_view prefix : {"/admin/tenants", "/admin/keys", "/admin/tokens", "/admin/usage", "/admin/audit",
                                 "/admin/failovers"}) {
    if (path == prefix || (path.starts_with(prefix) && path[prefix.size()] == '/')) return true;
  }
  return false;
}

/// The console's files (console_assets.h): no token needed, since they hold
/// no data; the page reads the admin API with the operator's token. The
/// policy keeps the page to its own scripts, styles and API.
Reply console_reply(const http::request<http::string_body>& req, std::string_view path) {
  if (req.method() != http::verb::get && req.method() != http::verb::head) {
    return {http::status::method_not_allowed, "application/json",
            core::to_openai_json({core::ErrorCode::kMethodNotAllowed, "use GET for " + std::string(path), ""})};
  }
  std::vector<std::pair<std::string_view, std::string>> headers = {
      {"X-Content-Type-Options", "nosniff"},
      {"Content-Security-Policy",
       "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"},
      {"Referrer-Policy", "no-referrer"},
      {"X-Frame-Options", "DENY"}};
  const auto asset = find_console_asset(path);
  if (!asset) {
    const std::string message = embedded_console_files().empty()
                                    ? "the web console is not built into this binary (console/dist was empty)"
                                    : "no console file " + std::string(path);
    return {http::status::not_found, "application/json",
            core::to_openai_json({core::ErrorCode::kNotFound, message, ""}), std::move(headers)};
  }
  headers.emplace_back("ETag", std::string(asset->etag));
  headers.emplace_back("Cache-Control",
                       asset->immutable ? "public, max-age=31536000, immutable" : "no-cache");
  if (etag_matches(req[http::field::if_none_match], asset->etag)) {
    return {http::status::not_modified, std::string(asset->content_type), {}, std::move(headers)};
  }
  return {http::status::ok, std::string(asset->content_type), std::string(asset->body), std::move(headers)};
}

Reply route(const AdminHandlers& h, const http::request<http::string_body>& req) {
  const std::string_view target = req.target();
  const std::size_t q = target.find('?');
  const std::string_view path = target.substr(0, q);
  const std::string_view query = q == std::string_view::npos ? std::string_view() : target.substr(q + 1);
  // Who is asking, before anything else: a route's existence is not revealed
  // to callers without a token.
  static const AdminTokens kNoTokens("", {});
  const auto tokens = h.tokens ? h.tokens() : nullptr;
  const std::string_view authorization = req[http::field::authorization];
  AuthOutcome auth = authorize(tokens ? *tokens : kNoTokens, required_role(req.method(), path, h.protect_metrics),
                               authorization);
  if (!auth.principal) return {static_cast<http::status>(auth.status), "application/json", std::move(auth.body)};
  if (path == "/console" || path.starts_with("/console/")) return console_reply(req, path);
  if (is_state_path(path) && h.state_api) {
    AdminReply r = h.state_api(AdminRequest{*auth.principal, req.method(), path, query, req.body()});
    return {static_cast<http::status>(r.status), std::move(r.content_type), std::move(r.body)};
  }
  if (path == "/admin/reload" && h.reload) {
    if (req.method() != http::verb::post) {
      return {http::status::method_not_allowed, "application/json",
              core::to_openai_json({core::ErrorCode::kMethodNotAllowed, "use POST for /admin/reload", ""})};
    }
    auto [status, body] = reload_reply(h.reload());
    return {static_cast<http::status>(status), "application/json", std::move(body)};
  }
  if ((path == "/admin/fleet" || path.starts_with("/admin/fleet/")) && h.fleet) {
    auto [status, body] = h.fleet(req.method(), path, req.body());
    return {static_cast<http::status>(status), "application/json", std::move(body)};
  }
  const bool known = path == "/metrics" || path == "/healthz" || path == "/readyz" || path == "/admin/instances";
  if (!known) {
    return {http::status::not_found, "application/json",
            core::to_openai_json({core::ErrorCode::kNotFound, "no route for " + std::string(path), ""})};
  }
  if (req.method() != http::verb::get && req.method() != http::verb::head) {
    return {http::status::method_not_allowed, "application/json",
            core::to_openai_json({core::ErrorCode::kMethodNotAllowed, "use GET for " + std::string(path), ""})};
  }
  if (path == "/metrics") return {http::status::ok, "text/plain; version=0.0.4; charset=utf-8", h.render_metrics()};
  if (path == "/admin/instances") return {http::status::ok, "application/json", h.instances_json()};
  if (path == "/healthz") return {http::status::ok, "text/plain", "ok\n"};
  if (h.draining && h.draining()) return draining_readyz();
  const auto [status, body] = readyz_reply(h.ready());
  return {static_cast<http::status>(status), "application/json", body};
}

/// An accepted connection as a stream: plain, or after a TLS handshake on
/// `tls` (nothing when the client failed it).
asio::awaitable<std::optional<Stream>> accept_stream(tcp::socket socket, std::shared_ptr<ssl::context> tls) {
  if (!tls) co_return Stream(beast::tcp_stream(std::move(socket)));
  auto accepted = co_await tls_accept(std::move(socket), *tls, std::chrono::seconds(30));
  if (!accepted) co_return std::nullopt;
  co_return std::move(*accepted);
}

asio::awaitable<void> serve(const AdminHandlers& handlers, tcp::socket socket, std::shared_ptr<ssl::context> tls) {
  std::optional<Stream> accepted = co_await accept_stream(std::move(socket), tls);
  if (!accepted) co_return;
  Stream& stream = *accepted;
  beast::flat_buffer buffer;
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(16 * 1024);
    parser.body_limit(64 * 1024);
    stream.expires_after(std::chrono::seconds(30));
    auto [ec, n] = co_await http::async_read(stream, buffer, parser, use_nothrow);
    if (ec) break;
    auto req = parser.release();
    Reply reply = route(handlers, req);
    http::response<http::string_body> res{reply.status, 11};
    res.set(http::field::server, "sluice");
    res.set(http::field::content_type, reply.content_type);
    if (reply.status == http::status::unauthorized) res.set(http::field::www_authenticate, "Bearer realm=\"sluice-admin\"");
    for (auto& [field, value] : reply.headers) res.set(field, std::move(value));
    res.keep_alive(req.keep_alive());
    if (req.method() == http::verb::head) {
      // The length a GET would have, and no body (it would break keep-alive).
      res.content_length(reply.body.size());
    } else {
      res.body() = std::move(reply.body);
      res.prepare_payload();
    }
    auto [wec, wn] = co_await http::async_write(stream, res, use_nothrow);
    if (wec || !req.keep_alive()) break;
  }
  co_await close_gracefully(stream, std::chrono::seconds(1));
}

asio::awaitable<void> accept_loop(const AdminHandlers& handlers, tcp::acceptor& acceptor, const ServerTls* tls) {
  for (;;) {
    auto [ec, socket] = co_await acceptor.async_accept(use_nothrow);
    if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
    if (ec) continue;
    asio::co_spawn(acceptor.get_executor(), serve(handlers, std::move(socket), tls ? tls->current() : nullptr),
                   asio::detached);
  }
}

}  // namespace

std::pair<int, std::string> readyz_reply(const Readiness& readiness) {
  nlohmann::json body;
  if (!readiness.started) {
    body["status"] = "starting";
  } else if (!readiness.models_not_serving.empty()) {
    body["status"] = "not_ready";
    body["models_not_serving"] = readiness.models_not_serving;
  } else {
    body["status"] = "ready";
  }
  return {readiness.ready() ? 200 : 503, body.dump() + "\n"};
}

std::pair<int, std::string> reload_reply(const ReloadResult& result) {
  nlohmann::json body;
  body["reloaded"] = result.reloaded;
  if (result.reloaded) {
    body["changes"] = result.changes;
    return {200, body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n"};
  }
  body["reason"] = result.reason;
  body["errors"] = result.errors;
  // Config errors quote the file, which need not be valid UTF-8.
  return {result.reason == "starting" ? 503 : 422, body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n"};
}

AdminServer::AdminServer(asio::io_context& io, AdminHandlers handlers) : io_(io), handlers_(std::move(handlers)) {}

std::expected<void, std::string> AdminServer::listen(const config::Endpoint& endpoint,
                                                     std::shared_ptr<net::ServerTls> tls) {
  tls_ = std::move(tls);
  auto acceptor = open_acceptor(io_, endpoint.host, endpoint.port, false);
  if (!acceptor) return std::unexpected(acceptor.error());
  port_ = acceptor->local_endpoint().port();
  acceptor_.emplace(std::move(*acceptor));
  return {};
}

void AdminServer::start() { asio::co_spawn(io_, accept_loop(handlers_, *acceptor_, tls_.get()), asio::detached); }

void AdminServer::stop() {
  if (io_.stopped()) {  // its thread is gone (the gateway has shut down): nothing else uses the acceptor
    error_code ignored;
    if (acceptor_) acceptor_->close(ignored);
    return;
  }
  asio::post(io_, [this] {
    error_code ignored;
    if (acceptor_) acceptor_->close(ignored);
  });
}

}  // namespace sluice::admin
