#include "sluice/drill/steady_load.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <optional>
#include <random>
#include <vector>

#include <fmt/format.h>

#include "sluice/loadgen/connection_pool.h"
#include "sluice/loadgen/prompt.h"
#include "sluice/loadgen/response_parse.h"
#include "sluice/net/asio.h"
#include "sluice/net/http_wire.h"
#include "sluice/proxy/sse_parser.h"

namespace sluice::drill {

using namespace sluice::net;
using SteadyClock = std::chrono::steady_clock;

struct SteadyLoad::State {
  explicit State(LoadPlan p) : plan(std::move(p)) {}

  asio::io_context io{1};
  LoadPlan plan;
  std::vector<tcp::endpoint> endpoints;
  std::string host_header;
  std::string target;
  std::string authorization;
  LoadCounters counters;
  std::int64_t in_flight = 0;
  std::uint32_t nonce = 0;
  bool stopping = false;
  asio::steady_timer* dispatch_timer = nullptr;
};

namespace {

constexpr std::size_t kReadChunk = 16 * 1024;
constexpr std::uint64_t kMaxBody = 16ull * 1024 * 1024;
using Parser = http::response_parser<http::buffer_body>;
using State = SteadyLoad::State;

void rethrow(const std::exception_ptr& e) {
  if (e) std::rethrow_exception(e);
}

std::string transport_reason(const error_code& ec, double timeout_s) {
  if (ec == beast::error::timeout) return fmt::format("no whole answer within {:g} s", timeout_s);
  return "connection: " + ec.message();
}

/// Reads the rest of the body into `out`.
asio::awaitable<error_code> read_body(beast::tcp_stream& conn, beast::flat_buffer& buffer, Parser& parser,
                                      std::string& out) {
  std::array<char, kReadChunk> chunk;
  while (!parser.is_done()) {
    parser.get().body().data = chunk.data();
    parser.get().body().size = chunk.size();
    auto [ec, n] = co_await http::async_read_some(conn, buffer, parser, use_nothrow);
    if (ec == http::error::need_buffer) ec = {};
    if (ec) co_return ec;
    out.append(chunk.data(), chunk.size() - parser.get().body().size);
  }
  co_return error_code{};
}

/// Reads an SSE body into `reading`; the transport error that cut it, if any.
asio::awaitable<error_code> read_events(beast::tcp_stream& conn, beast::flat_buffer& buffer, Parser& parser,
                                        StreamReading& reading) {
  proxy::SseParser sse;
  std::array<char, kReadChunk> chunk;
  while (!parser.is_done()) {
    parser.get().body().data = chunk.data();
    parser.get().body().size = chunk.size();
    auto [ec, n] = co_await http::async_read_some(conn, buffer, parser, use_nothrow);
    if (ec == http::error::need_buffer) ec = {};
    if (ec) co_return ec;
    const std::size_t got = chunk.size() - parser.get().body().size;
    for (const proxy::SseEvent& event : sse.feed(std::string_view(chunk.data(), got))) reading.on_event(event.data);
  }
  co_return error_code{};
}

/// "status 503 (no_instance_available)".
std::string status_reason(unsigned status, std::string_view body) {
  const std::string code = loadgen::error_code_of(body);
  return code.empty() ? fmt::format("status {}", status) : fmt::format("status {} ({})", status, code);
}

/// Judges a non-streamed answer.
void judge_unary(State& s, unsigned status, const std::string& body) {
  if (status != 200) return count_failure(s.counters, false, status_reason(status, body));
  const auto answer = parse_chat_completion(body);
  if (!answer) return count_failure(s.counters, false, "a 200 that is not a chat completion");
  count_whole_answer(s.counters, answer_tokens(answer->text, answer->completion_tokens), s.plan.max_tokens);
}

/// Judges a streamed answer that was read to its end.
void judge_stream(State& s, const StreamReading& reading) {
  if (reading.errored()) {
    return count_failure(s.counters, true,
                         reading.error_code().empty() ? "error event" : "error event (" + reading.error_code() + ")");
  }
  if (!reading.done()) return count_failure(s.counters, true, "stream ended without [DONE]");
  count_whole_answer(s.counters, answer_tokens(reading.text(), reading.usage_completion_tokens()), s.plan.max_tokens);
}

asio::awaitable<void> send_one(State& s, std::uint64_t seq, bool stream) {
  const auto started = SteadyClock::now();
  ++s.in_flight;
  ++(stream ? s.counters.streams_sent : s.counters.requests_sent);
  const std::string tag = loadgen::request_tag(s.nonce, seq);
  const std::string body = loadgen::chat_request_body({.model = s.plan.model,
                                                       .input_tokens = s.plan.input_tokens,
                                                       .max_tokens = s.plan.max_tokens,
                                                       .stream = stream,
                                                       .tag = tag,
                                                       .ignore_eos = true});
  std::string head;
  append_request_head(head, "POST", s.target, s.host_header, static_cast<long long>(body.size()),
                      {{"Authorization", s.authorization},
                       {"Content-Type", "application/json"},
                       {"Accept", stream ? "text/event-stream" : "application/json"},
                       {"User-Agent", "sluice-drill"},
                       {"Connection", "close"}});
  const std::array<asio::const_buffer, 2> request{asio::buffer(head), asio::buffer(body)};

  beast::tcp_stream conn(s.io);
  conn.expires_after(std::chrono::duration_cast<SteadyClock::duration>(
      std::chrono::duration<double>(s.plan.request_timeout_s)));
  beast::flat_buffer buffer;
  Parser parser;
  parser.body_limit(kMaxBody);
  error_code ec;
  std::tie(ec, std::ignore) = co_await conn.async_connect(s.endpoints, use_nothrow);
  if (!ec) std::tie(ec, std::ignore) = co_await asio::async_write(conn, request, use_nothrow);
  if (!ec) std::tie(ec, std::ignore) = co_await http::async_read_header(conn, buffer, parser, use_nothrow);
  if (ec) {
    count_failure(s.counters, stream, transport_reason(ec, s.plan.request_timeout_s));
  } else {
    const unsigned status = parser.get().result_int();
    const bool sse = parser.get()[http::field::content_type].starts_with("text/event-stream");
    if (stream && status == 200 && sse) {
      StreamReading reading;
      ec = co_await read_events(conn, buffer, parser, reading);
      if (ec) {
        count_failure(s.counters, true,
                      ec == beast::error::timeout ? transport_reason(ec, s.plan.request_timeout_s)
                                                  : "stream cut before [DONE]");
      } else {
        judge_stream(s, reading);
      }
    } else {
      std::string answer;
      ec = co_await read_body(conn, buffer, parser, answer);
      if (ec) {
        count_failure(s.counters, stream, transport_reason(ec, s.plan.request_timeout_s));
      } else if (stream) {
        count_failure(s.counters, true, status == 200 ? "a 200 that is not an event stream" : status_reason(status, answer));
      } else {
        judge_unary(s, status, answer);
      }
    }
  }
  error_code ignored;
  conn.socket().shutdown(tcp::socket::shutdown_both, ignored);
  s.counters.slowest_s =
      std::max(s.counters.slowest_s, std::chrono::duration<double>(SteadyClock::now() - started).count());
  --s.in_flight;
}

/// One request every 1/rate seconds from the start, until stopped.
asio::awaitable<void> dispatch(State& s) {
  asio::steady_timer timer(s.io);
  s.dispatch_timer = &timer;
  const auto start = SteadyClock::now();
  const auto interval = std::chrono::duration<double>(1.0 / s.plan.rate);
  for (std::uint64_t k = 0; !s.stopping; ++k) {
    timer.expires_at(start + std::chrono::duration_cast<SteadyClock::duration>(interval * static_cast<double>(k)));
    co_await timer.async_wait(use_nothrow);
    if (s.stopping) break;
    if (s.in_flight >= s.plan.max_in_flight) {
      ++s.counters.dropped;
      continue;
    }
    asio::co_spawn(s.io, send_one(s, k, is_streamed(k, s.plan.stream_share)), rethrow);
  }
  s.dispatch_timer = nullptr;
}

}  // namespace

SteadyLoad::SteadyLoad(LoadPlan plan) : state_(std::make_unique<State>(std::move(plan))) {}

SteadyLoad::~SteadyLoad() {
  if (thread_.joinable()) stop();
}

std::expected<void, std::string> SteadyLoad::start() {
  State& s = *state_;
  if (const std::string problem = check_load_plan(s.plan); !problem.empty()) return std::unexpected(problem);
  std::expected<std::vector<tcp::endpoint>, std::string> resolved = std::unexpected(std::string("not resolved"));
  {
    asio::io_context setup;
    asio::co_spawn(setup, loadgen::resolve_endpoints(s.plan.target.host, s.plan.target.port),
                   [&resolved](std::exception_ptr e, std::expected<std::vector<tcp::endpoint>, std::string> r) {
                     rethrow(e);
                     resolved = std::move(r);
                   });
    setup.run();
  }
  if (!resolved) return std::unexpected(fmt::format("cannot resolve the gateway: {}", resolved.error()));
  s.endpoints = std::move(*resolved);
  const auto& t = s.plan.target;
  s.host_header = t.host.find(':') != std::string::npos ? fmt::format("[{}]:{}", t.host, t.port)
                                                        : fmt::format("{}:{}", t.host, t.port);
  s.target = t.prefix + "/v1/chat/completions";
  s.authorization = "Bearer " + s.plan.api_key;
  s.nonce = std::random_device{}();
  asio::co_spawn(s.io, dispatch(s), rethrow);
  thread_ = std::thread([&s] { s.io.run(); });
  return {};
}

LoadCounters SteadyLoad::stop() {
  State& s = *state_;
  if (!thread_.joinable()) return s.counters;
  asio::post(s.io, [&s] {
    s.stopping = true;
    if (s.dispatch_timer != nullptr) s.dispatch_timer->cancel();
  });
  thread_.join();  // io.run() returns once the last request has ended
  return s.counters;
}

}  // namespace sluice::drill
