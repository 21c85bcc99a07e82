#include "sluice/proxy/upstream_exchange.h"

#include <spdlog/spdlog.h>

#include <array>

#include "sluice/health/circuit_breaker.h"
#include "sluice/core/json_escape.h"
#include "sluice/health/try_watch.h"
#include "sluice/net/http_get.h"
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

/// Why a try got no response header.
struct SendFailure {
  Error error;
  route::TryFailure failure = route::TryFailure::kReset;
};

SendFailure connect_failure(const ConnectError& e) {
  if (!e.tls.empty()) {
    // A refused certificate: the client learns why (the log says it too).
    return SendFailure{Error{ErrorCode::kUpstreamError, "the model instance failed: TLS: " + e.tls, ""},
                       route::TryFailure::kConnectFailure};
  }
  return SendFailure{upstream_failure(e.ec, "connect"), e.ec == asio::error::connection_refused
                                                            ? route::TryFailure::kRefused
                                                            : route::TryFailure::kConnectFailure};
}

/// Opens a new connection, counted as pending on the instance's circuit
/// breaker while it connects.
asio::awaitable<std::expected<Stream, SendFailure>> open_connection(const ExchangePlan& plan) {
  health::CircuitBreaker* breaker = plan.instance->breaker.get();
  if (breaker && !breaker->try_add_pending()) {
    co_return std::unexpected(SendFailure{
        Error{ErrorCode::kUpstreamError, "the model instance has too many connections pending (circuit breaker)", ""},
        route::TryFailure::kConnectFailure});
  }
  auto conn = co_await UpstreamPool::connect(*plan.instance, plan.connect_timeout);
  if (breaker) breaker->remove_pending();
  if (!conn) co_return std::unexpected(connect_failure(conn.error()));
  co_return std::move(*conn);
}

/// Sends the request on a pooled or new connection and reads the response
/// header. A reused connection that fails before any response byte is
/// replaced once by a new one (the engine had closed it while idle).
asio::awaitable<std::expected<void, SendFailure>> send_and_read_header(Worker& worker, RequestContext& rc,
                                                                      const ExchangePlan& plan,
                                                                      std::optional<Stream>& upstream,
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
      auto conn = co_await open_connection(plan);
      if (!conn) co_return std::unexpected(std::move(conn.error()));
      upstream.emplace(std::move(*conn));
      worker.ctx.metrics.upstream_connects.fetch_add(1, std::memory_order_relaxed);
    }
    auto [wec, wn] = co_await asio::async_write(*upstream, request, use_nothrow);
    if (!wec) {
      auto [rec, rn] = co_await http::async_read_header(*upstream, buffer, parser, use_nothrow);
      if (!rec) co_return std::expected<void, SendFailure>{};
      if (!reused || parser.got_some() || is_timeout(rec) || closed_by_us(rec)) {
        co_return std::unexpected(SendFailure{upstream_failure(rec, "reading the response")});
      }
    } else if (!reused || is_timeout(wec) || closed_by_us(wec)) {
      co_return std::unexpected(SendFailure{upstream_failure(wec, "sending the request")});
    }
    upstream.reset();  // stale pooled connection: retry on a new one
    buffer.clear();
  }
  co_return std::unexpected(SendFailure{Error{ErrorCode::kUpstreamError, "the model instance closed the connection", ""}});
}

/// Reads the rest of a non-streamed body.
asio::awaitable<std::expected<std::string, Error>> read_body(Stream& upstream, beast::flat_buffer& buffer,
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
constexpr std::string_view kStreamStalledEvent =
    "data: {\"error\":{\"message\":\"the model instance stopped sending tokens\",\"type\":\"server_error\","
    "\"param\":null,\"code\":\"upstream_timeout\"}}\n\n";

/// What ended a try early: a time limit (the request's, the try's), or the
/// try watch (its instance is gone, or stalled).
enum class Expiry { kNone, kTotal, kTry, kGone, kStalled };

bool is_time_limit(Expiry e) { return e == Expiry::kTotal || e == Expiry::kTry; }

std::int64_t steady_ns() { return std::chrono::steady_clock::now().time_since_epoch().count(); }

/// How often the try watch looks at a try waiting on its engine.
constexpr auto kWatchTick = std::chrono::milliseconds(100);
/// A canary (health/try_watch.h): at most one a second per instance, and
/// unanswered after a second it is lost.
constexpr std::int64_t kCanaryEveryNs = 1'000'000'000;
constexpr auto kCanaryTimeout = std::chrono::milliseconds(1000);

/// Sends `instance` a one-token completion; records when none came back.
asio::awaitable<void> send_canary(std::shared_ptr<balance::Instance> instance, std::string model) {
  std::string body = "{\"model\":";
  core::append_json_string(body, model);
  body += ",\"prompt\":\"ping\",\"max_tokens\":1}";
  auto answer = co_await http_request(http::verb::post, instance->host, instance->port,
                                      instance->base_path + "/v1/completions", std::move(body), kCanaryTimeout,
                                      instance->tls.get());
  if (answer) co_return;
  instance->canary_lost_ns.store(steady_ns(), std::memory_order_relaxed);
  spdlog::warn("instance {} did not answer a canary request within {} ms ({}) while its tries waited: it is stalled",
               instance->id.str(), kCanaryTimeout.count(), answer.error());
}

/// A try's deadline: its time limit, and every kWatchTick until then a look
/// at its instance (health/try_watch.h); either one closes the upstream
/// connection, which fails the pending read, and says why in `expiry`.
class TryWatch {
 public:
  TryWatch(RequestContext& rc, const ExchangePlan& plan, std::optional<Stream>& upstream, Expiry& expiry,
           asio::any_io_executor executor)
      : rc_(rc), plan_(plan), upstream_(upstream), expiry_(expiry), executor_(std::move(executor)),
        started_ns_(steady_ns()), last_event_ns_(started_ns_) {}
  TryWatch(const TryWatch&) = delete;
  TryWatch& operator=(const TryWatch&) = delete;

  /// The time limit is now `limit_at`.
  void arm(std::chrono::steady_clock::time_point limit_at) {
    limit_at_ = limit_at;
    schedule(std::chrono::steady_clock::now());
  }
  /// The try relayed an event (or finished its answer) at `now_ns`.
  void on_event(std::int64_t now_ns) {
    started_ = true;
    last_event_ns_ = now_ns;
    plan_.instance->note_event(now_ns);
  }

 private:
  void schedule(std::chrono::steady_clock::time_point now) {
    const bool watched = plan_.siblings || plan_.stall > core::Duration::zero();
    const auto at = watched ? std::min(limit_at_, now + kWatchTick) : limit_at_;
    rc_.deadline->set(at, [this] { fire(); });
  }
  void fire() {
    const auto now = std::chrono::steady_clock::now();
    if (now >= limit_at_) return end(now >= plan_.deadline ? Expiry::kTotal : Expiry::kTry);
    const health::TryWatchInput in = input(now.time_since_epoch().count());
    const health::TryVerdict verdict = health::judge_try(in);
    if (verdict == health::TryVerdict::kWait) {
      if (health::wants_canary(in)) send_canary_once(in.now_ns);
      return schedule(now);
    }
    end(verdict == health::TryVerdict::kStalled ? Expiry::kStalled : Expiry::kGone);
  }
  health::TryWatchInput input(std::int64_t now_ns) const {
    const balance::Instance& i = *plan_.instance;
    health::TryWatchInput in{
        .now_ns = now_ns,
        .instance_available = i.available.load(std::memory_order_relaxed),
        .instance_check_healthy = i.check_healthy.load(std::memory_order_relaxed),
        .instance_ejected = now_ns < i.ejected_until_ns.load(std::memory_order_relaxed),
        .stream = plan_.stream,
        .stream_started = started_,
        .try_last_event_ns = last_event_ns_,
        .instance_last_event_ns = i.last_event_ns.load(std::memory_order_relaxed),
        .instance_event_gap_ns = i.event_gap_ns.load(std::memory_order_relaxed),
        .stall_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(plan_.stall).count(),
        .prefill_allowance_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(plan_.prefill_allowance).count(),
        .try_started_ns = started_ns_,
        .canary_lost_ns = i.canary_lost_ns.load(std::memory_order_relaxed)};
    if (plan_.siblings) {
      for (const auto& s : *plan_.siblings) {
        if (s.get() == &i) continue;
        in.siblings_last_event_ns = std::max(in.siblings_last_event_ns, s->last_event_ns.load(std::memory_order_relaxed));
      }
    }
    return in;
  }
  /// Sends the instance a canary unless one went out within the last second.
  void send_canary_once(std::int64_t now_ns) {
    if (!plan_.siblings || plan_.canary_model.empty()) return;
    const balance::Instance& i = *plan_.instance;
    std::int64_t last = i.canary_sent_ns.load(std::memory_order_relaxed);
    if (now_ns - last < kCanaryEveryNs || !i.canary_sent_ns.compare_exchange_strong(last, now_ns)) return;
    for (const auto& s : *plan_.siblings) {
      if (s.get() == &i) {
        asio::co_spawn(executor_, send_canary(s, std::string(plan_.canary_model)), asio::detached);
        return;
      }
    }
  }
  void end(Expiry why) {
    expiry_ = why;
    if (!upstream_) return;
    error_code ignored;
    upstream_->socket().close(ignored);
  }

  RequestContext& rc_;
  const ExchangePlan& plan_;
  std::optional<Stream>& upstream_;
  Expiry& expiry_;
  asio::any_io_executor executor_;
  std::chrono::steady_clock::time_point limit_at_{};
  bool started_ = false;
  std::int64_t started_ns_;
  std::int64_t last_event_ns_;
};

/// The try failed while the client's stream was open: it stays open.
void mark_broken(ExchangeOutcome& out, Expiry expiry) {
  out.response_started = true;
  out.stream_broken = true;
  out.stream_stalled = expiry != Expiry::kNone;
  out.total_timeout = expiry == Expiry::kTotal;
  out.instance_gone = out.instance_gone || expiry == Expiry::kGone || expiry == Expiry::kStalled;
}

/// Appends an event to the batch for the client: as the engine sent it, or
/// as the splicer rewrote it.
void append_relayed(std::string& batch, const SseEvent& event, const std::optional<std::string>& spliced) {
  if (!spliced) {
    batch.append(event.raw);
    return;
  }
  batch.append("data: ");
  batch.append(*spliced);
  batch.append("\n\n");
}

/// Relays an SSE body event by event. The header has been read already;
/// the client's response head goes out with the first event, so a stream
/// that fails before its first token can still be retried. `on_event`
/// re-arms the idle limit after each batch of events.
asio::awaitable<ExchangeOutcome> relay_stream(Worker& worker, Stream& client, RequestContext& rc,
                                              const ExchangePlan& plan, Stream& upstream,
                                              beast::flat_buffer& buffer, Parser& parser, bool& upstream_clean,
                                              const Expiry& expiry, const std::function<void(bool)>& on_event) {
  ExchangeOutcome out;
  const bool keep_alive = !worker.ctx.draining.load(std::memory_order_relaxed);
  std::string head;
  append_response_head(head, 200, "text/event-stream", -1, keep_alive,
                       {{"Cache-Control", "no-cache"}, {"x-request-id", rc.request_id}}, rc.extra_head);

  SseParser sse;
  std::string batch;
  std::int64_t streamed = rc.streamed_tokens;
  out.response_started = plan.splicer != nullptr;  // a continuation: the client's stream is open
  std::array<char, kReadChunk> chunk;
  bool upstream_failed = false;
  // An event past kMaxSseEventBytes is a broken engine: stop after relaying the events before it.
  while (!parser.is_done() && !(upstream_failed = sse.overflowed())) {
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
      std::optional<std::string> spliced;
      if (plan.splicer) {
        spliced = plan.splicer->splice(event.data);
        if (!spliced) continue;
      }
      const std::string_view data = spliced ? std::string_view(*spliced) : event.data;
      bool usage_only = false;
      if (auto usage = extract_usage(data)) {
        rc.prompt_tokens = usage->prompt_tokens;
        rc.completion_tokens = usage->completion_tokens;
        usage_only = usage->usage_only_chunk;
        if (usage_only && !plan.client_wants_usage) continue;
      }
      if (plan.transcript) plan.transcript->record(data);
      if (!usage_only && data != "[DONE]") ++streamed;  // engines send about one token per event
      append_relayed(batch, event, spliced);
    }
    if (streamed != streamed_before && plan.on_streamed) plan.on_streamed(streamed);
    if (batch.empty()) continue;
    on_event(streamed != streamed_before);
    error_code wec;
    if (!out.response_started) {
      rc.status = 200;
      rc.ttfb_s = core::to_seconds(worker.clock.now() - rc.started);
      const ChunkFrame frame(batch.size());
      const auto body = frame.buffers(batch);
      std::vector<asio::const_buffer> buffers{asio::buffer(head)};
      buffers.insert(buffers.end(), asio::buffer_sequence_begin(body), asio::buffer_sequence_end(body));
      auto [e, wn] = co_await asio::async_write(client, buffers, use_nothrow);
      wec = e;
      out.response_started = true;
    } else {
      auto [e, wn] = co_await asio::async_write(client, ChunkFrame(batch.size()).buffers(batch), use_nothrow);
      wec = e;
    }
    if (wec) {
      out.client_ok = false;
      out.client_gone = true;
      rc.status = 499;
      co_return out;
    }
  }
  if (upstream_failed && !out.response_started) {
    // Nothing reached the client: the caller may try another instance.
    out.result.failure = expiry == Expiry::kTry ? route::TryFailure::kPerTryTimeout : route::TryFailure::kReset;
    out.total_timeout = expiry == Expiry::kTotal;
    out.instance_gone = !is_time_limit(expiry);
    out.error = is_time_limit(expiry)
                    ? Error{ErrorCode::kUpstreamTimeout, "the model instance sent no token in time", ""}
                    : Error{ErrorCode::kUpstreamError, "the model instance failed before its first token", ""};
    co_return out;
  }
  if (!out.response_started) {
    // A stream that ended without one event: still a well-formed response.
    rc.status = 200;
    rc.ttfb_s = core::to_seconds(worker.clock.now() - rc.started);
    if (auto [e, wn] = co_await asio::async_write(client, asio::buffer(head), use_nothrow); e) {
      out.client_ok = false;
      out.client_gone = true;
      co_return out;
    }
    out.response_started = true;
  }
  if (upstream_failed) {
    // The client's stream stays open: the caller continues or ends it.
    mark_broken(out, expiry);
    co_return out;
  }
  upstream_clean = true;
  auto [wec, wn] = co_await asio::async_write(client, asio::buffer(kLastChunk), use_nothrow);
  out.client_ok = !wec && keep_alive;
  co_return out;
}

/// The earliest of two deadlines, where a zero duration means none.
std::chrono::steady_clock::time_point earliest(std::chrono::steady_clock::time_point a,
                                               std::chrono::steady_clock::time_point from, core::Duration limit) {
  if (limit <= core::Duration::zero()) return a;
  return std::min(a, from + std::chrono::duration_cast<std::chrono::steady_clock::duration>(limit));
}

}  // namespace

asio::awaitable<bool> end_client_stream(Stream& client, std::string_view events) {
  if (!events.empty()) {
    const ChunkFrame frame(events.size());
    const auto buffers = frame.buffers(events);
    auto [e, n] = co_await asio::async_write(client, buffers, use_nothrow);
    if (e) co_return false;
  }
  auto [e, n] = co_await asio::async_write(client, asio::buffer(kLastChunk), use_nothrow);
  co_return !e;
}

asio::awaitable<bool> end_broken_stream(Stream& client, RequestContext& rc, bool stalled) {
  rc.status = stalled ? 504 : 502;
  rc.error_code = stalled ? "upstream_timeout" : "upstream_error";
  const std::string_view event = stalled ? kStreamStalledEvent : kStreamLostEvent;
  co_return co_await end_client_stream(client, event);
}

asio::awaitable<ExchangeOutcome> run_exchange(Worker& worker, Stream& client, RequestContext& rc,
                                              const ExchangePlan& plan, std::optional<Stream>& upstream) {
  ExchangeOutcome out;
  plan.instance->counters.tries.fetch_add(1, std::memory_order_relaxed);
  beast::flat_buffer buffer;
  buffer.reserve(kReadChunk);  // header and a small body in one recv
  Parser parser;
  parser.body_limit(kMaxUpstreamBody);
  // One deadline bounds the try: the request's overall deadline, and this
  // try's own limits (per try, first token, idle between events); the try
  // watch looks at its instance in between. When either ends the try, the
  // upstream connection is closed and the pending operation fails;
  // `expiry` says why.
  Expiry expiry = Expiry::kNone;
  TryWatch watch(rc, plan, upstream, expiry, client.get_executor());
  const auto started = std::chrono::steady_clock::now();
  watch.arm(earliest(earliest(plan.deadline, started, plan.per_try), started,
                     plan.stream ? plan.first_token : core::Duration{}));
  struct ClearDeadline {
    net::LazyDeadline* deadline;
    ~ClearDeadline() { deadline->clear(); }
  } clear_deadline{rc.deadline};
  const auto timeout_error = [&] {
    return Error{ErrorCode::kUpstreamTimeout, "the model instance did not answer in time", ""};
  };
  const auto fail = [&](const Error& error, route::TryFailure failure) {
    out.error = is_time_limit(expiry) ? timeout_error() : error;
    out.result.failure = expiry == Expiry::kTry ? route::TryFailure::kPerTryTimeout
                         : expiry == Expiry::kNone ? failure
                                                   : route::TryFailure::kReset;
    out.total_timeout = expiry == Expiry::kTotal;
    // No answer at all from an engine that refused or dropped the
    // connection, or that the watch gave up on: the request moves, load is
    // not added.
    out.instance_gone = expiry == Expiry::kGone || expiry == Expiry::kStalled ||
                        (expiry == Expiry::kNone &&
                         (failure == route::TryFailure::kRefused || failure == route::TryFailure::kReset));
    out.verdict = expiry == Expiry::kStalled ? health::Outcome::kStalled
                  : expiry == Expiry::kGone  ? health::Outcome::kIgnored
                                             : health::Outcome::kGatewayFailure;
  };
  auto sent = co_await send_and_read_header(worker, rc, plan, upstream, buffer, parser);
  if (!sent) {
    fail(sent.error().error, sent.error().failure);
    if (plan.splicer) mark_broken(out, expiry);
    co_return out;
  }
  const auto& res = parser.get();
  const bool sse = res.result() == http::status::ok &&
                   res[http::field::content_type].starts_with("text/event-stream");
  bool upstream_clean = false;
  if (plan.stream && sse) {
    // From the first event on, only the idle limit and the overall deadline apply.
    const auto on_event = [&](bool tokens) {
      const auto now = std::chrono::steady_clock::now();
      if (tokens) watch.on_event(now.time_since_epoch().count());
      watch.arm(earliest(plan.deadline, now, plan.stream_idle));
    };
    out = co_await relay_stream(worker, client, rc, plan, *upstream, buffer, parser, upstream_clean, expiry, on_event);
    const health::Outcome failed = expiry == Expiry::kStalled ? health::Outcome::kStalled
                                   : expiry == Expiry::kGone  ? health::Outcome::kIgnored
                                                              : health::Outcome::kGatewayFailure;
    if (!out.response_started && out.error) {
      out.verdict = failed;
      co_return out;
    }
    out.verdict = upstream_clean ? health::Outcome::kSuccess
                  : out.client_gone ? health::Outcome::kIgnored
                                    : failed;
    // A stream the engine cut (no time limit, no watch) says the engine went away.
    if (out.stream_broken && expiry == Expiry::kNone) out.instance_gone = true;
  } else if (plan.splicer) {
    // A continuation answered with no stream (an error status): none of it
    // can go into the client's open stream.
    auto body = co_await read_body(*upstream, buffer, parser);
    const int status = static_cast<int>(res.result_int());
    mark_broken(out, expiry);
    out.verdict = !body ? health::Outcome::kGatewayFailure
                  : status >= 500 ? health::Outcome::k5xx
                                  : health::Outcome::kIgnored;
    upstream_clean = body.has_value();
  } else {
    auto body = co_await read_body(*upstream, buffer, parser);
    if (!body) {
      fail(body.error(), route::TryFailure::kReset);
      co_return out;
    }
    upstream_clean = true;
    watch.on_event(steady_ns());
    const int status = static_cast<int>(res.result_int());
    out.result = route::TryResult::answer(status);
    out.verdict = status >= 500 ? health::Outcome::k5xx : health::Outcome::kSuccess;
    std::string content_type(res[http::field::content_type]);
    if (content_type.empty()) content_type = "application/json";
    if (status != 200 && plan.hold && plan.hold(status)) {
      out.held = HeldResponse{status, std::move(content_type), std::move(*body)};
    } else {
      if (status == 200) {
        if (auto usage = extract_usage(*body)) {
          rc.prompt_tokens = usage->prompt_tokens;
          rc.completion_tokens = usage->completion_tokens;
        }
      }
      rc.ttfb_s = core::to_seconds(worker.clock.now() - rc.started);
      const bool keep = !worker.ctx.draining.load(std::memory_order_relaxed);
      out.response_started = true;
      out.client_ok = co_await write_response(client, rc, static_cast<unsigned>(status), content_type,
                                              std::move(*body), keep) && keep;
      if (!out.client_ok) out.client_gone = true;
    }
  }
  if (upstream_clean && expiry == Expiry::kNone && res.keep_alive() && parser.is_done()) {
    worker.pool.put_idle(*plan.instance, std::move(*upstream));
    upstream.reset();
  }
  co_return out;
}

}  // namespace sluice::proxy
