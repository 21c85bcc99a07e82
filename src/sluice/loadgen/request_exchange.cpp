/// One request of `sluice load`: send at once on a pooled or new
/// connection, read the answer (event by event for streams), credit the
/// delivered tokens to the recorder as they arrive, record the outcome.
#include <array>
#include <optional>

#include "sluice/loadgen/prompt.h"
#include "sluice/loadgen/response_parse.h"
#include "sluice/loadgen/run_state.h"
#include "sluice/net/http_wire.h"
#include "sluice/proxy/sse_parser.h"

namespace sluice::loadgen {

using namespace sluice::net;
using workload::Outcome;

namespace {

/// Per request in flight (in its coroutine frame): SSE chunks are small.
constexpr std::size_t kReadChunk = 8 * 1024;
constexpr std::uint64_t kMaxBody = 16ull * 1024 * 1024;

using Parser = http::response_parser<http::buffer_body>;
using SteadyClock = std::chrono::steady_clock;

/// One request's bookkeeping: service is credited as it is delivered (the
/// input tokens with the first token, each streamed chunk as one output
/// token), corrected by the real usage at the end.
class Delivery {
 public:
  Delivery(RunState& run, const workload::Arrival& arrival, double sent_s) : run_(run), arrival_(arrival) {
    record_.tenant = arrival.tenant;
    record_.sent_s = sent_s;
    record_.outcome = Outcome::kError;
    record_.input_tokens = arrival.input_tokens;
    record_.output_tokens = 0;
    ++run_.stats.sent;
    ++run_.stats.in_flight;
    ++run_.waiting_first_token[arrival.tenant];
  }
  Delivery(const Delivery&) = delete;
  Delivery& operator=(const Delivery&) = delete;

  void first_token(double now_s) {
    if (got_first_) return;
    got_first_ = true;
    record_.ttft_s = now_s - record_.sent_s;
    stop_waiting();
    run_.recorder.add_service(arrival_.tenant, now_s, arrival_.input_tokens, 0);
    input_credited_ = arrival_.input_tokens;
  }

  void output_token(double now_s) {
    first_token(now_s);
    run_.recorder.add_service(arrival_.tenant, now_s, 0, 1);
    ++output_credited_;
  }

  /// A complete answer: credits whatever the usage says was not credited yet.
  void completed(double now_s, const std::optional<proxy::Usage>& usage) {
    first_token(now_s);
    const std::int64_t input = usage ? usage->prompt_tokens : arrival_.input_tokens;
    const std::int64_t output = usage ? usage->completion_tokens : output_credited_;
    if (input != input_credited_ || output != output_credited_) {
      run_.recorder.add_service(arrival_.tenant, now_s, input - input_credited_, output - output_credited_);
    }
    record_.input_tokens = input;
    record_.output_tokens = output;
    record_.e2e_s = now_s - record_.sent_s;
    record_.outcome = Outcome::kOk;
  }

  void refused(Outcome outcome) { record_.outcome = outcome; }
  void failed() { record_.outcome = Outcome::kError; }

  /// Records the request; call once, at its end.
  void finish() {
    stop_waiting();
    --run_.stats.in_flight;
    switch (record_.outcome) {
      case Outcome::kOk: ++run_.stats.ok; break;
      case Outcome::kError: ++run_.stats.errors; break;
      default: ++run_.stats.refused; break;
    }
    if (record_.outcome != Outcome::kOk) record_.output_tokens = output_credited_;
    run_.recorder.add_request(record_);
    run_.wake_if_finished();
  }

 private:
  void stop_waiting() {
    if (waiting_) --run_.waiting_first_token[arrival_.tenant];
    waiting_ = false;
  }

  RunState& run_;
  workload::Arrival arrival_;
  workload::RequestRecord record_;
  bool waiting_ = true;
  bool got_first_ = false;
  std::int64_t input_credited_ = 0;
  std::int64_t output_credited_ = 0;
};

/// Sends the request and reads the response head. A parked connection that
/// fails before any response byte (the gateway closed it while idle) is
/// replaced once by a new one.
asio::awaitable<error_code> send_and_read_head(RunState& run, std::optional<beast::tcp_stream>& stream,
                                               const std::array<asio::const_buffer, 2>& request,
                                               SteadyClock::time_point deadline, beast::flat_buffer& buffer,
                                               std::optional<Parser>& parser) {
  error_code ec;
  for (int attempt = 0; attempt < 2; ++attempt) {
    parser.emplace();
    parser->body_limit(kMaxBody);
    buffer.clear();
    bool reused = false;
    if (attempt == 0) {
      if (auto idle = run.pool.take_idle()) {
        stream.emplace(std::move(*idle));
        reused = true;
      }
    }
    if (!reused) {
      const auto left = deadline - SteadyClock::now();
      const auto connect_timeout = std::min<SteadyClock::duration>(
          left, std::chrono::duration_cast<SteadyClock::duration>(
                    std::chrono::duration<double>(run.options.connect_timeout_s)));
      if (connect_timeout <= SteadyClock::duration::zero()) co_return beast::error::timeout;
      auto conn = co_await run.pool.connect(connect_timeout);
      if (!conn) co_return conn.error();
      stream.emplace(std::move(*conn));
    }
    stream->expires_at(deadline);
    auto [wec, wn] = co_await asio::async_write(*stream, request, use_nothrow);
    if (!wec) {
      auto [rec, rn] = co_await http::async_read_header(*stream, buffer, *parser, use_nothrow);
      if (!rec || !reused || parser->got_some() || rec == beast::error::timeout) co_return rec;
      ec = rec;
    } else {
      if (!reused || wec == beast::error::timeout) co_return wec;
      ec = wec;
    }
    stream.reset();
  }
  co_return ec;
}

/// Reads the rest of a non-streamed body.
asio::awaitable<error_code> read_body(beast::tcp_stream& stream, beast::flat_buffer& buffer, Parser& parser,
                                      std::string& body) {
  std::array<char, kReadChunk> chunk;
  while (!parser.is_done()) {
    parser.get().body().data = chunk.data();
    parser.get().body().size = chunk.size();
    auto [ec, n] = co_await http::async_read_some(stream, buffer, parser, use_nothrow);
    if (ec == http::error::need_buffer) ec = {};
    if (ec) co_return ec;
    body.append(chunk.data(), chunk.size() - parser.get().body().size);
  }
  co_return error_code{};
}

/// Reads an SSE body event by event, crediting tokens as they come.
/// True when the stream ended cleanly with a usable answer.
asio::awaitable<bool> read_stream(RunState& run, beast::tcp_stream& stream, beast::flat_buffer& buffer,
                                  Parser& parser, Delivery& delivery, error_code& ec) {
  proxy::SseParser sse;
  std::optional<proxy::Usage> usage;
  bool broken = false;
  std::array<char, kReadChunk> chunk;
  while (!parser.is_done()) {
    parser.get().body().data = chunk.data();
    parser.get().body().size = chunk.size();
    auto [rec, n] = co_await http::async_read_some(stream, buffer, parser, use_nothrow);
    if (rec == http::error::need_buffer) rec = {};
    if (rec) {
      ec = rec;
      ++run.stats.broken_answers;
      co_return false;
    }
    const double now = run.now_s();
    const std::size_t got = chunk.size() - parser.get().body().size;
    for (const proxy::SseEvent& event : sse.feed(std::string_view(chunk.data(), got))) {
      if (event.data == "[DONE]") continue;
      switch (classify_chunk(event.data)) {
        case ChunkKind::kContent: delivery.output_token(now); break;
        case ChunkKind::kError: broken = true; break;
        case ChunkKind::kOther: break;
      }
      if (auto u = proxy::extract_usage(event.data)) usage = u;
    }
  }
  if (broken) {
    ++run.stats.broken_answers;
    co_return false;
  }
  delivery.completed(run.now_s(), usage);
  co_return true;
}

}  // namespace

asio::awaitable<void> send_request(RunState& run, workload::Arrival arrival) {
  const TenantPlan& plan = run.plans[arrival.tenant];
  const double sent_s = run.now_s();
  Delivery delivery(run, arrival, sent_s);

  const std::string tag = request_tag(run.nonce, arrival.seq);
  const ChatRequestSpec spec{.model = plan.model,
                             .input_tokens = arrival.input_tokens,
                             .max_tokens = arrival.output_tokens,
                             .stream = plan.stream,
                             .tag = tag};
  const std::string body = chat_request_body(spec);
  std::string head;
  head.reserve(256);
  append_request_head(head, "POST", run.target, run.host_header, static_cast<long long>(body.size()),
                      {{"Authorization", plan.authorization},
                       {"Content-Type", "application/json"},
                       {"Accept", plan.stream ? "text/event-stream" : "application/json"},
                       {"User-Agent", "sluice-load"},
                       {"x-sluice-priority", plan.priority}});
  const std::array<asio::const_buffer, 2> request{asio::buffer(head), asio::buffer(body)};
  const auto deadline = std::min(run.at(sent_s + run.options.request_timeout_s), run.hard_deadline);

  std::optional<beast::tcp_stream> stream;
  beast::flat_buffer buffer;
  std::optional<Parser> parser;
  error_code ec = co_await send_and_read_head(run, stream, request, deadline, buffer, parser);
  bool clean = false;
  if (ec) {
    ++run.stats.transport_errors;
    if (run.stats.first_transport_error.empty()) run.stats.first_transport_error = ec.message();
  } else {
    ++run.stats.responses;
    const auto& res = parser->get();
    const unsigned status = res.result_int();
    if (status == 200 && plan.stream && res[http::field::content_type].starts_with("text/event-stream")) {
      clean = co_await read_stream(run, *stream, buffer, *parser, delivery, ec);
    } else {
      std::string answer;
      ec = co_await read_body(*stream, buffer, *parser, answer);
      if (ec) ++run.stats.broken_answers;
      if (!ec) {
        clean = true;
        if (status == 200) {
          delivery.completed(run.now_s(), proxy::extract_usage(answer));
        } else if (status == 429) {
          delivery.refused(workload::outcome_from_code(error_code_of(answer)));
        } else {
          ++run.stats.statuses[static_cast<int>(status)];
        }
      }
    }
    if (clean && !ec && res.keep_alive() && parser->is_done()) run.pool.put_idle(std::move(*stream));
  }
  if (ec == beast::error::timeout) ++run.stats.timed_out;
  if (!clean) delivery.failed();
  delivery.finish();
}

}  // namespace sluice::loadgen
