#include "sluice/proxy/upstream_exchange.h"

#include <array>

#include "sluice/net/http_wire.h"
#include "sluice/proxy/client_writer.h"
#include "sluice/proxy/sse_parser.h"

namespace sluice::proxy {

using namespace sluice::net;
using core::Error;
using core::ErrorCode;

namespace {

constexpr std::size_t kReadChunk = 16 * 1024;
constexpr std::uint64_t kMaxUpstreamBody = 64ull * 1024 * 1024;

using Parser = http::response_parser<http::buffer_body>;

bool is_timeout(const error_code& ec) { return ec == beast::error::timeout; }
/// Our own side closed the connection (deadline passed, client went away):
/// never worth a retry on a new connection.
bool closed_by_us(const error_code& ec) {
  return ec == asio::error::operation_aborted || ec == asio::error::bad_descriptor;
}

Error upstream_failure(const error_code& ec, std::string_view what) {
  if (is_timeout(ec)) return Error{ErrorCode::kUpstreamTimeout, "the model instance did not answer in time", ""};
  return Error{ErrorCode::kUpstreamError, std::string("the model instance failed: ") + std::string(what) + ": " + ec.message(), ""};
}

/// Sends the request on a pooled or new connection and reads the response
/// header. A reused connection that fails before any response byte is
/// replaced once by a new one (the engine had closed it while idle).
asio::awaitable<std::expected<void, Error>> send_and_read_header(Worker& worker, RequestContext& rc,
                                                                const ExchangePlan& plan,
                                                                std::optional<beast::tcp_stream>& upstream,
                                                                beast::flat_buffer& buffer, Parser& parser) {
  std::string head;
  head.reserve(256);
  const std::string host = plan.instance->host + ":" + std::to_string(plan.instance->port);
  append_request_head(head, "POST", plan.target, host, static_cast<long long>(plan.body.size()),
                      {{"Content-Type", "application/json"},
                       {"Accept", plan.stream ? "text/event-stream" : "application/json"},
                       {"x-request-id", rc.request_id}});
  const std::array<asio::const_buffer, 2> request{asio::buffer(head), asio::buffer(plan.body)};

  for (int attempt = 0; attempt < 2; ++attempt) {
    bool reused = false;
    if (attempt == 0) {
      if (auto idle = worker.pool.take_idle(*plan.instance)) {
        upstream.emplace(std::move(*idle));
        reused = true;
        worker.ctx.metrics.upstream_reused.fetch_add(1, std::memory_order_relaxed);
      }
    }
    if (!reused) {
      auto conn = co_await UpstreamPool::connect(*plan.instance, plan.connect_timeout);
      if (!conn) co_return std::unexpected(upstream_failure(conn.error(), "connect"));
      upstream.emplace(std::move(*conn));
      worker.ctx.metrics.upstream_connects.fetch_add(1, std::memory_order_relaxed);
    }
    auto [wec, wn] = co_await asio::async_write(*upstream, request, use_nothrow);
    if (!wec) {
      auto [rec, rn] = co_await http::async_read_header(*upstream, buffer, parser, use_nothrow);
      if (!rec) co_return std::expected<void, Error>{};
      if (!reused || parser.got_some() || is_timeout(rec) || closed_by_us(rec)) co_return std::unexpected(upstream_failure(rec, "reading the response"));
    } else if (!reused || is_timeout(wec) || closed_by_us(wec)) {
      co_return std::unexpected(upstream_failure(wec, "sending the request"));
    }
    upstream.reset();  // stale pooled connection: retry on a new one
    buffer.clear();
  }
  co_return std::unexpected(Error{ErrorCode::kUpstreamError, "the model instance closed the connection", ""});
}

/// Reads the rest of a non-streamed body.
asio::awaitable<std::expected<std::string, Error>> read_body(beast::tcp_stream& upstream, beast::flat_buffer& buffer,
                                                            Parser& parser) {
  std::string body;
  std::array<char, kReadChunk> chunk;
  while (!parser.is_done()) {
    parser.get().body().data = chunk.data();
    parser.get().body().size = chunk.size();
    auto [ec, n] = co_await http::async_read_some(upstream, buffer, parser, use_nothrow);
    if (ec == http::error::need_buffer) ec = {};
    if (ec) co_return std::unexpected(upstream_failure(ec, "reading the response body"));
    body.append(chunk.data(), chunk.size() - parser.get().body().size);
    if (body.size() > kMaxUpstreamBody) co_return std::unexpected(Error{ErrorCode::kUpstreamError, "the model instance's response is too large", ""});
  }
  co_return body;
}

constexpr std::string_view kStreamLostEvent =
    "data: {\"error\":{\"message\":\"the model instance failed mid-stream\",\"type\":\"server_error\","
    "\"param\":null,\"code\":\"upstream_error\"}}\n\n";

/// Relays an SSE body event by event. The header has been read already.
asio::awaitable<ExchangeOutcome> relay_stream(Worker& worker, beast::tcp_stream& client, RequestContext& rc,
                                              const ExchangePlan& plan, beast::tcp_stream& upstream,
                                              beast::flat_buffer& buffer, Parser& parser, bool& upstream_clean) {
  ExchangeOutcome out;
  const bool keep_alive = !worker.ctx.draining.load(std::memory_order_relaxed);
  std::string head;
  append_response_head(head, 200, "text/event-stream", -1, keep_alive,
                       {{"Cache-Control", "no-cache"}, {"x-request-id", rc.request_id}}, rc.extra_head);
  rc.status = 200;
  if (auto [ec, n] = co_await asio::async_write(client, asio::buffer(head), use_nothrow); ec) {
    out.client_ok = false;
    out.client_gone = true;
    co_return out;
  }
  out.response_started = true;

  SseParser sse;
  std::string batch;
  std::int64_t streamed = 0;
  std::array<char, kReadChunk> chunk;
  bool upstream_failed = false;
  while (!parser.is_done()) {
    parser.get().body().data = chunk.data();
    parser.get().body().size = chunk.size();
    auto [ec, n] = co_await http::async_read_some(upstream, buffer, parser, use_nothrow);
    if (ec == http::error::need_buffer) ec = {};
    if (ec) {
      upstream_failed = true;
      break;
    }
    const std::size_t got = chunk.size() - parser.get().body().size;
    batch.clear();
    const std::int64_t streamed_before = streamed;
    for (const SseEvent& event : sse.feed(std::string_view(chunk.data(), got))) {
      if (auto usage = extract_usage(event.data)) {
        rc.prompt_tokens = usage->prompt_tokens;
        rc.completion_tokens = usage->completion_tokens;
        if (usage->usage_only_chunk) {
          if (!plan.client_wants_usage) continue;
          batch.append(event.raw);
          continue;
        }
      }
      if (event.data != "[DONE]") ++streamed;  // engines send about one token per event
      batch.append(event.raw);
    }
    if (streamed != streamed_before && plan.on_streamed) plan.on_streamed(streamed);
    if (batch.empty()) continue;
    if (rc.ttfb_s < 0) rc.ttfb_s = core::to_seconds(worker.clock.now() - rc.started);
    auto [wec, wn] = co_await asio::async_write(client, ChunkFrame(batch.size()).buffers(batch), use_nothrow);
    if (wec) {
      out.client_ok = false;
      out.client_gone = true;
      rc.status = 499;
      co_return out;
    }
  }
  if (upstream_failed) {
    rc.status = 502;
    rc.error_code = "upstream_error";
    auto [wec, wn] = co_await asio::async_write(client, ChunkFrame(kStreamLostEvent.size()).buffers(kStreamLostEvent), use_nothrow);
    if (wec) out.client_ok = false;
  } else {
    upstream_clean = true;
  }
  if (out.client_ok) {
    auto [wec, wn] = co_await asio::async_write(client, asio::buffer(kLastChunk), use_nothrow);
    if (wec) out.client_ok = false;
  }
  out.client_ok = out.client_ok && keep_alive;
  co_return out;
}

}  // namespace

asio::awaitable<ExchangeOutcome> run_exchange(Worker& worker, beast::tcp_stream& client, RequestContext& rc,
                                              const ExchangePlan& plan, std::optional<beast::tcp_stream>& upstream) {
  ExchangeOutcome out;
  beast::flat_buffer buffer;
  buffer.reserve(kReadChunk);  // header and a small body in one recv
  Parser parser;
  parser.body_limit(kMaxUpstreamBody);
  // The whole exchange is bounded by plan.timeout: when it passes, the
  // upstream connection is closed and the pending operation fails.
  bool timed_out = false;
  rc.deadline->set(std::chrono::steady_clock::now() + plan.timeout, [&timed_out, &upstream] {
    timed_out = true;
    if (!upstream) return;
    error_code ignored;
    upstream->socket().close(ignored);
  });
  struct ClearDeadline {
    net::LazyDeadline* deadline;
    ~ClearDeadline() { deadline->clear(); }
  } clear_deadline{rc.deadline};
  const Error timeout{ErrorCode::kUpstreamTimeout, "the model instance did not answer in time", ""};
  auto sent = co_await send_and_read_header(worker, rc, plan, upstream, buffer, parser);
  if (!sent) {
    out.error = timed_out ? timeout : sent.error();
    // A timeout used up the request's time; anything else was a transport
    // failure before any response: another instance may serve it.
    out.retryable = !timed_out && out.error->code == ErrorCode::kUpstreamError;
    co_return out;
  }
  const auto& res = parser.get();
  const bool sse = res.result() == http::status::ok &&
                   res[http::field::content_type].starts_with("text/event-stream");
  bool upstream_clean = false;
  if (plan.stream && sse) {
    out = co_await relay_stream(worker, client, rc, plan, *upstream, buffer, parser, upstream_clean);
  } else {
    auto body = co_await read_body(*upstream, buffer, parser);
    if (!body) {
      out.error = timed_out ? timeout : body.error();
      co_return out;
    }
    upstream_clean = true;
    const unsigned status = res.result_int();
    if (status == 200) {
      if (auto usage = extract_usage(*body)) {
        rc.prompt_tokens = usage->prompt_tokens;
        rc.completion_tokens = usage->completion_tokens;
      }
    }
    std::string content_type(res[http::field::content_type]);
    if (content_type.empty()) content_type = "application/json";
    rc.ttfb_s = core::to_seconds(worker.clock.now() - rc.started);
    const bool keep = !worker.ctx.draining.load(std::memory_order_relaxed);
    out.response_started = true;
    out.client_ok = co_await write_response(client, rc, status, content_type, std::move(*body), keep) && keep;
    if (!out.client_ok) out.client_gone = true;
  }
  if (upstream_clean && !timed_out && res.keep_alive() && parser.is_done()) {
    worker.pool.put_idle(*plan.instance, std::move(*upstream));
    upstream.reset();
  }
  co_return out;
}

}  // namespace sluice::proxy
