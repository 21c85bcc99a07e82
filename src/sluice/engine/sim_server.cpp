#include "sluice/engine/sim_server.h"

#include <unistd.h>

#include <chrono>
#include <tuple>

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "sluice/engine/sim_context.h"
#include "sluice/engine/sim_metrics.h"
#include "sluice/net/listener.h"
#include "sluice/net/tls.h"


namespace sluice::engine {

namespace asio = net::asio;
namespace http = net::http;

namespace {

constexpr std::uint64_t kMaxBodyBytes = 32ULL << 20;
constexpr std::uint32_t kMaxHeaderBytes = 64U << 10;
/// A TLS client has this long to finish its handshake.
constexpr auto kTlsHandshakeTime = std::chrono::seconds(10);

core::Error error(core::ErrorCode code, std::string message) { return {code, std::move(message), ""}; }

/// Path without the query string.
std::string_view path_of(std::string_view target) { return target.substr(0, target.find('?')); }

/// Value of `key` in the query string, or empty.
std::string_view query_param(std::string_view target, std::string_view key) {
  const auto q = target.find('?');
  if (q == std::string_view::npos) return {};
  std::string_view rest = target.substr(q + 1);
  while (!rest.empty()) {
    const auto amp = rest.find('&');
    const std::string_view pair = rest.substr(0, amp);
    const auto eq = pair.find('=');
    if (pair.substr(0, eq) == key) return eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1);
    if (amp == std::string_view::npos) break;
    rest = rest.substr(amp + 1);
  }
  return {};
}

/// Wrong methods and unknown paths answer as vLLM's HTTP framework (FastAPI)
/// does: `{"detail": …}`, not an OpenAI error.
HttpResponse method_not_allowed(const HttpRequest& req, std::string_view allow) {
  auto res = make_response(req, http::status::method_not_allowed, R"({"detail":"Method Not Allowed"})");
  res.set(http::field::allow, allow);
  return res;
}

HttpResponse not_found(const HttpRequest& req) { return make_response(req, http::status::not_found, R"({"detail":"Not Found"})"); }

HttpResponse json_ok(const HttpRequest& req, std::string body) { return make_response(req, http::status::ok, std::move(body)); }

std::string models_json(const SimContext& ctx) {
  nlohmann::json model;
  model["id"] = ctx.model_name;
  model["object"] = "model";
  model["created"] = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  model["owned_by"] = "sluice-engine-sim";
  model["root"] = ctx.model_name;
  model["max_model_len"] = ctx.driver.model().profile().max_model_len;
  // vLLM's ModelCard also carries these.
  model["parent"] = nullptr;
  model["permission"] = nlohmann::json::array({nlohmann::json{
      {"id", "modelperm-sluice-engine-sim"}, {"object", "model_permission"}, {"created", model["created"]},
      {"allow_create_engine", false}, {"allow_sampling", true}, {"allow_logprobs", true},
      {"allow_search_indices", false}, {"allow_view", true}, {"allow_fine_tuning", false}, {"organization", "*"},
      {"group", nullptr}, {"is_blocking", false}}});
  nlohmann::json list;
  list["object"] = "list";
  list["data"] = nlohmann::json::array({model});
  return list.dump();
}

/// GET shows the injected faults, DELETE clears them, POST updates them
/// (`crash` exits at once, without an answer).
HttpResponse fault_reply(SimContext& ctx, const HttpRequest& req) {
  if (req.method() == http::verb::get) return json_ok(req, fault_json(ctx.faults));
  if (req.method() == http::verb::delete_) {
    ctx.faults = FaultConfig{};
    ctx.driver.set_slow_factor(1.0);
    return json_ok(req, fault_json(ctx.faults));
  }
  if (req.method() != http::verb::post) return method_not_allowed(req, "GET, POST, DELETE");
  auto update = parse_fault_update(ctx.faults, req.body());
  if (!update) return make_error(req, {core::ErrorCode::kInvalidRequest, update.error(), ""});
  if (update->crash) ::_exit(1);  // a crash: no cleanup, no answer
  const bool core_dies = update->faults.unhealthy && !ctx.faults.unhealthy;
  ctx.faults = update->faults;
  if (core_dies) ctx.driver.fail_all();  // in-flight requests see the fault (500s)
  ctx.driver.set_slow_factor(ctx.faults.slow_factor);
  return json_ok(req, fault_json(ctx.faults));
}

asio::awaitable<bool> handle_wake_up(SimContext& ctx, net::SocketStream& socket, const HttpRequest& req) {
  const auto wait = ctx.driver.wake_up();
  if (wait > core::Duration::zero()) {
    asio::steady_timer timer(ctx.executor, wait);
    ctx.timers.insert(&timer);
    co_await timer.async_wait(net::use_nothrow);
    ctx.timers.erase(&timer);
    if (ctx.stopping) co_return false;
  }
  HttpResponse res = make_response(req, http::status::ok, "", "text/plain");
  co_return co_await write_response(socket, std::move(res));
}

/// The answer of every endpoint that needs no waiting: /v1/models, /health,
/// /metrics, /sleep, /is_sleeping, wrong methods and unknown paths.
/// A plain function, so `route` has a single co_await for all of them.
HttpResponse control_reply(SimContext& ctx, const HttpRequest& req, std::string_view path, std::string_view target) {
  const http::verb method = req.method();
  const auto engine_state = ctx.driver.model().state(ctx.driver.now());
  const auto loading = [&] { return make_error(req, 503, error(core::ErrorCode::kNoInstance, "The engine is loading.")); };
  if (path == "/v1/models") {
    if (method != http::verb::get) return method_not_allowed(req, "GET");
    return json_ok(req, models_json(ctx));
  }
  if (path == "/health") {
    if (method != http::verb::get) return method_not_allowed(req, "GET");
    if (engine_state == EngineState::kLoading) return loading();
    if (ctx.faults.unhealthy) return make_error(req, 503, engine_dead_error());
    return make_response(req, http::status::ok, "", "");
  }
  if (path == "/metrics") {
    if (method != http::verb::get) return method_not_allowed(req, "GET");
    return make_response(req, http::status::ok,
                         render_metrics(ctx.driver.model(), ctx.driver.client_cancels(), ctx.model_name),
                         "text/plain; version=0.0.4; charset=utf-8");
  }
  if (path == "/sleep") {
    if (method != http::verb::post) return method_not_allowed(req, "POST");
    const std::string_view level = query_param(target, "level");
    if (!level.empty() && level != "1" && level != "2")
      return make_error(req, {core::ErrorCode::kInvalidRequest, "level must be 1 or 2", "level"});
    if (engine_state == EngineState::kLoading) return loading();
    ctx.driver.sleep();
    return make_response(req, http::status::ok, "", "text/plain");
  }
  if (path == "/wake_up") return method_not_allowed(req, "POST");
  if (path == "/is_sleeping") {
    if (method != http::verb::get) return method_not_allowed(req, "GET");
    const bool sleeping = engine_state == EngineState::kAsleep || engine_state == EngineState::kWaking;
    return json_ok(req, fmt::format("{{\"is_sleeping\":{}}}", sleeping));
  }
  return not_found(req);
}

/// Routes one request. Returns whether the connection may stay open.
asio::awaitable<bool> route(SimContext& ctx, net::SocketStream& socket, const HttpRequest& req) {
  const std::string_view target = req.target();
  const std::string_view path = path_of(target);
  const http::verb method = req.method();
  if ((path == "/v1/chat/completions" || path == "/v1/completions") && method == http::verb::post)
    co_return co_await handle_completion(ctx, socket, req, path == "/v1/completions" ? ApiKind::kCompletion : ApiKind::kChat);
  if (path == "/wake_up" && method == http::verb::post) co_return co_await handle_wake_up(ctx, socket, req);
  // Built into a local before co_await: GCC 12 mishandles temporaries in co_await operands.
  HttpResponse res = (path == "/v1/chat/completions" || path == "/v1/completions") ? method_not_allowed(req, "POST")
                     : path == "/admin/faults"                                   ? fault_reply(ctx, req)
                                                                                   : control_reply(ctx, req, path, target);
  co_return co_await write_response(socket, std::move(res));
}

}  // namespace

SimContext::SimContext(asio::any_io_executor ex, SimServerConfig cfg)
    : executor(ex),
      config(std::move(cfg)),
      model_name(config.served_model_name.empty() ? config.profile.model_name : config.served_model_name),
      driver(ex, config.profile, config.seed, config.speedup) {}

SimServer::SimServer(asio::io_context& io, SimServerConfig config)
    : io_(io), ctx_(std::make_unique<SimContext>(io.get_executor(), std::move(config))) {}

SimServer::~SimServer() = default;

std::expected<std::uint16_t, std::string> SimServer::start() {
  auto acceptor = net::open_acceptor(io_, ctx_->config.host, ctx_->config.port, false);
  if (!acceptor) return std::unexpected(acceptor.error());
  acceptor_ = std::make_unique<net::tcp::acceptor>(std::move(*acceptor));
  const std::uint16_t port = acceptor_->local_endpoint().port();
  ctx_->driver.start();
  asio::co_spawn(io_, accept_loop(), asio::detached);
  const bool cold_load = ctx_->config.fail_load || (ctx_->config.simulate_load && ctx_->config.profile.cold_load_s > 0);
  if (cold_load) {
    ctx_->driver.begin_cold_load();
    asio::co_spawn(io_, finish_loading(port), asio::detached);
  } else if (ctx_->config.on_ready) {
    ctx_->config.on_ready(port);
  }
  return port;
}

asio::awaitable<void> SimServer::finish_loading(std::uint16_t port) {
  const auto now = ctx_->driver.now();
  const auto ready = ctx_->driver.model().ready_at();
  asio::steady_timer timer(io_, ready > now ? ctx_->driver.to_wall(ready - now) : core::Duration::zero());
  ctx_->timers.insert(&timer);
  co_await timer.async_wait(net::use_nothrow);
  ctx_->timers.erase(&timer);
  // Wall and model clocks may round differently: wait out any remainder.
  while (!ctx_->stopping && ctx_->driver.model().state(ctx_->driver.now()) == EngineState::kLoading) {
    timer.expires_after(std::chrono::milliseconds(1));
    co_await timer.async_wait(net::use_nothrow);
  }
  if (ctx_->stopping) co_return;
  if (ctx_->config.fail_load) {
    if (ctx_->config.on_load_failed) ctx_->config.on_load_failed();
    stop();
    co_return;
  }
  if (ctx_->config.on_ready) ctx_->config.on_ready(port);
}

void SimServer::stop() {
  if (ctx_->stopping) return;
  ctx_->stopping = true;
  net::error_code ignored;
  if (acceptor_) acceptor_->close(ignored);
  ctx_->driver.stop();
  for (asio::steady_timer* timer : ctx_->timers) timer->cancel();
  for (net::tcp::socket* socket : ctx_->sockets) {
    socket->shutdown(net::tcp::socket::shutdown_both, ignored);
    socket->close(ignored);
  }
}

asio::awaitable<void> SimServer::accept_loop() {
  while (!ctx_->stopping) {
    auto [ec, socket] = co_await acceptor_->async_accept(net::use_nothrow);
    if (ec) {
      if (ctx_->stopping || ec == asio::error::operation_aborted) break;
      continue;  // e.g. EMFILE: keep serving the connections we have
    }
    socket.set_option(net::tcp::no_delay(true), ec);
    asio::co_spawn(io_, session(std::move(socket)), asio::detached);
  }
}

asio::awaitable<void> SimServer::session(net::tcp::socket raw) {
  SimContext& ctx = *ctx_;
  std::optional<net::SocketStream> accepted;
  if (ctx.config.tls) {
    auto tls = co_await net::tls_accept_socket(std::move(raw), *ctx.config.tls, kTlsHandshakeTime);
    if (!tls) co_return;  // the client gave up or refused the certificate
    accepted.emplace(std::move(*tls));
  } else {
    accepted.emplace(std::move(raw));
  }
  net::SocketStream& socket = *accepted;
  ctx.sockets.insert(&socket.socket());
  net::beast::flat_buffer buffer;
  while (!ctx.stopping) {
    http::request_parser<http::string_body> parser;
    parser.body_limit(kMaxBodyBytes);
    parser.header_limit(kMaxHeaderBytes);
    auto [ec, n] = co_await http::async_read_header(socket, buffer, parser, net::use_nothrow);
    if (!ec && parser.get()[http::field::expect] == "100-continue") {
      // curl sends this for bodies over 1 KiB and would otherwise wait a second.
      static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
      std::tie(ec, n) = co_await asio::async_write(socket, asio::buffer(kContinue), net::use_nothrow);
    }
    if (!ec && !parser.is_done()) std::tie(ec, n) = co_await http::async_read(socket, buffer, parser, net::use_nothrow);
    if (ec) {
      if (ec == http::error::body_limit) {
        HttpRequest head;
        head.keep_alive(false);
        {
      HttpResponse res_ = make_error(head, error(core::ErrorCode::kBodyTooLarge, "Request body too large."));
      co_await write_response(socket, std::move(res_));
    }
      } else if (ec == http::error::header_limit) {
        HttpRequest head;
        head.keep_alive(false);
        {
      HttpResponse res_ = make_error(head, error(core::ErrorCode::kHeadersTooLarge, "Request headers too large."));
      co_await write_response(socket, std::move(res_));
    }
      } else if (ec != http::error::end_of_stream && ec != asio::error::eof && ec != asio::error::connection_reset &&
                 ec != asio::error::operation_aborted && ec != asio::error::bad_descriptor) {
        HttpRequest head;
        head.keep_alive(false);
        {
      HttpResponse res_ = make_error(head, error(core::ErrorCode::kInvalidRequest, "Malformed HTTP request."));
      co_await write_response(socket, std::move(res_));
    }
      }
      break;
    }
    const HttpRequest req = parser.release();
    const bool keep = co_await route(ctx, socket, req);
    if (!keep || !req.keep_alive()) break;
  }
  ctx.sockets.erase(&socket.socket());
  net::error_code ignored;
  socket.socket().shutdown(net::tcp::socket::shutdown_send, ignored);
  socket.socket().close(ignored);
}

}  // namespace sluice::engine
