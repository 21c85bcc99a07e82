/// The completion endpoints: validate, apply injected faults, submit to the
/// engine, then answer in one body or stream one SSE event per token as the
/// engine loop produces them.
#include <algorithm>
#include <chrono>
#include <optional>
#include <utility>

#include <fmt/format.h>

#include "sluice/engine/hashing.h"
#include "sluice/engine/sim_context.h"
#include "sluice/engine/synthetic_text.h"


namespace sluice::engine {

namespace asio = net::asio;

namespace {

core::ErrorCode code_for_status(int status) {
  switch (status) {
    case 400: return core::ErrorCode::kInvalidRequest;
    case 404: return core::ErrorCode::kNotFound;
    case 408: return core::ErrorCode::kRequestTimeout;
    case 429: return core::ErrorCode::kRateLimited;
    case 502: return core::ErrorCode::kUpstreamError;
    case 503: return core::ErrorCode::kNoInstance;
    case 504: return core::ErrorCode::kUpstreamTimeout;
    default: return core::ErrorCode::kInternal;
  }
}

core::Error not_ready_error(EngineState state) {
  return {core::ErrorCode::kNoInstance, fmt::format("The engine is not ready to serve requests (it is {}).", to_string(state)), ""};
}

/// Why an in-flight request was failed: a dead engine core (unhealthy
/// fault), else sleep or shutdown. The status goes with it.
std::pair<int, core::Error> abort_reason(const SimContext& ctx) {
  if (ctx.faults.unhealthy) return {500, engine_dead_error()};
  return {503, not_ready_error(EngineState::kAsleep)};
}

/// What vLLM 0.32 does with a request too long for the model: max_tokens
/// alone beyond the context, or a prompt that leaves no room for one token
/// (`param: "input_tokens"`), is refused with its messages; a prompt that
/// leaves less room than max_tokens has its max_tokens lowered to the room
/// left (it then ends with finish_reason "length").
std::optional<core::Error> fit_context_length(CompletionRequest& creq, std::int64_t max_model_len) {
  if (max_model_len <= 0) return std::nullopt;
  if (creq.max_tokens && *creq.max_tokens > max_model_len) {
    return core::Error{core::ErrorCode::kInvalidRequest,
                       vllm_validation_message(fmt::format("max_tokens={} cannot be greater than max_model_len={}. "
                                                           "Please request fewer output tokens.",
                                                           *creq.max_tokens, max_model_len),
                                               "max_tokens", std::to_string(*creq.max_tokens)),
                       "max_tokens"};
  }
  if (creq.prompt_tokens >= max_model_len) {
    return core::Error{core::ErrorCode::kInvalidRequest,
                       vllm_validation_message(fmt::format("This model's maximum context length is {} tokens. However, "
                                                           "your prompt contains {} input tokens, which exceeds this "
                                                           "limit even without any output tokens. Please reduce the "
                                                           "length of the input prompt.",
                                                           max_model_len, creq.prompt_tokens),
                                               "input_tokens", std::to_string(creq.prompt_tokens)),
                       "input_tokens"};
  }
  if (creq.max_tokens) creq.max_tokens = std::min(*creq.max_tokens, max_model_len - creq.prompt_tokens);
  return std::nullopt;
}

ResponseMeta make_meta(SimContext& ctx, ApiKind kind) {
  const auto n = ++ctx.responses;
  const auto created = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch());
  return ResponseMeta{fmt::format("{}{:016x}{:016x}", kind == ApiKind::kChat ? "chatcmpl-" : "cmpl-",
                                  mix64(ctx.config.seed ^ 0xC0FFEEULL), mix64(n)),
                      created.count(), ctx.model_name};
}

/// Waits until the request finishes, fails or loses its client.
asio::awaitable<void> wait_done(const std::shared_ptr<RequestState>& state) {
  while (!state->finished && !state->aborted && !state->client_gone) co_await state->wait();
}

void end_watch(SimContext& ctx, net::SocketStream& stream, RequestState& state) {
  ctx.driver.release(state);
  net::error_code ignored;
  stream.socket().cancel(ignored);
}

asio::awaitable<bool> answer_unary(SimContext& ctx, net::SocketStream& socket, const HttpRequest& req,
                                   const CompletionRequest& creq, std::shared_ptr<RequestState> state) {
  co_await wait_done(state);
  end_watch(ctx, socket, *state);
  if (state->client_gone || ctx.stopping) co_return false;
  if (state->aborted) {
    const auto [status, error] = abort_reason(ctx);
    HttpResponse res_ = make_error(req, status, error);
    co_return co_await write_response(socket, std::move(res_));
  }
  std::string text;
  text.reserve(static_cast<std::size_t>(state->produced) * 8);
  append_synthetic_text(text, creq.text_key, creq.first_token_index, state->produced);
  const Usage usage{creq.prompt_tokens, state->produced, state->cached_tokens};
  auto body = render_completion(creq.kind, make_meta(ctx, creq.kind), text, state->admission.finish_reason, usage);
  {
      HttpResponse res_ = make_response(req, net::http::status::ok, std::move(body));
      co_return co_await write_response(socket, std::move(res_));
    }
}

asio::awaitable<bool> answer_stream(SimContext& ctx, net::SocketStream& socket, const HttpRequest& req,
                                    const CompletionRequest& creq, std::shared_ptr<RequestState> state) {
  if (!co_await write_stream_header(socket, req)) {
    ctx.driver.client_gone(*state);
    end_watch(ctx, socket, *state);
    co_return false;
  }
  const ChunkRenderer renderer(creq.kind, make_meta(ctx, creq.kind));
  const auto drop_after = ctx.faults.drop_after_tokens;
  std::string payload;
  std::int64_t written = 0;
  for (;;) {
    if (state->client_gone || ctx.stopping) break;
    payload.clear();
    std::int64_t upto = state->produced;
    bool drop = false;
    if (drop_after && upto >= *drop_after && state->admission.output_tokens > *drop_after) {
      upto = std::max(written, *drop_after);
      drop = true;
    }
    for (; written < upto; ++written) {
      renderer.append_token(payload, synthetic_token(creq.text_key, creq.first_token_index + written), written == 0);
    }
    bool last = false;
    if (!drop && state->finished && written == state->produced) {
      renderer.append_finish(payload, state->admission.finish_reason);
      if (creq.include_usage) renderer.append_usage(payload, Usage{creq.prompt_tokens, written, state->cached_tokens});
      ChunkRenderer::append_done(payload);
      last = true;
    } else if (!drop && state->aborted) {
      const auto [status, error] = abort_reason(ctx);
      ChunkRenderer::append_error(payload, error, status);
      ChunkRenderer::append_done(payload);
      last = true;
    }
    if (!payload.empty() || last) {
      if (!co_await write_chunk(socket, payload, last)) {
        ctx.driver.client_gone(*state);
        break;
      }
    }
    if (drop) break;  // injected fault: the connection dies mid-stream
    if (last) {
      end_watch(ctx, socket, *state);
      co_return true;
    }
    if (state->produced == written && !state->finished && !state->aborted && !state->client_gone) {
      co_await state->wait();
    }
  }
  end_watch(ctx, socket, *state);
  co_return false;
}

}  // namespace

core::Error engine_dead_error() {
  return {core::ErrorCode::kInternal, "Injected fault: unhealthy. The engine core is dead (GPU fault).", ""};
}

asio::awaitable<bool> handle_completion(SimContext& ctx, net::SocketStream& socket, const HttpRequest& req, ApiKind kind) {
  if (ctx.faults.unhealthy) {
    HttpResponse res_ = make_error(req, 500, engine_dead_error());
    co_return co_await write_response(socket, std::move(res_));
  }
  const auto engine_state = ctx.driver.model().state(ctx.driver.now());
  if (engine_state != EngineState::kAwake) {
    {
      HttpResponse res_ = make_error(req, 503, not_ready_error(engine_state));
      co_return co_await write_response(socket, std::move(res_));
    }
  }
  auto parsed = parse_completion_request(kind, req.body(), ctx.config.seed);
  if (!parsed) {
      HttpResponse res_ = make_error(req, parsed.error());
      co_return co_await write_response(socket, std::move(res_));
    }
  CompletionRequest& creq = *parsed;
  if (!creq.model.empty() && creq.model != ctx.model_name) {
    const core::Error error{core::ErrorCode::kModelNotFound, fmt::format("The model `{}` does not exist.", creq.model), "model"};
    {
      HttpResponse res_ = make_error(req, error);
      co_return co_await write_response(socket, std::move(res_));
    }
  }
  if (ctx.faults.error_rate > 0 &&
      unit_interval(hash_combine(ctx.config.seed ^ 0xFA017ULL, ++ctx.draws)) < ctx.faults.error_rate) {
    const core::Error error{code_for_status(ctx.faults.error_status), "Injected fault: error_rate.", ""};
    {
      HttpResponse res_ = make_error(req, ctx.faults.error_status, error);
      co_return co_await write_response(socket, std::move(res_));
    }
  }
  if (ctx.faults.hang) {
    auto state = ctx.driver.park();
    watch_disconnect(socket.socket(), state, ctx.driver);
    co_await wait_done(state);
    end_watch(ctx, socket, *state);
    co_return false;
  }
  if (auto refused = fit_context_length(creq, ctx.driver.model().profile().max_model_len)) {
    HttpResponse res_ = make_error(req, *refused);
    co_return co_await write_response(socket, std::move(res_));
  }
  SequenceSpec spec;
  spec.prompt_tokens = creq.prompt_tokens;
  spec.prefix_text = std::move(creq.prompt_text);
  spec.cache_salt = creq.cache_salt;
  spec.max_tokens = creq.max_tokens;
  spec.ignore_eos = creq.ignore_eos;
  auto submitted = ctx.driver.submit(std::move(spec));
  if (!submitted) {
    const SubmitError e = submitted.error();
    if (e == SubmitError::kNotReady) {
      {
      HttpResponse res_ = make_error(req, 503, not_ready_error(engine_state));
      co_return co_await write_response(socket, std::move(res_));
    }
    }
    const bool about_length = e == SubmitError::kTooLong || e == SubmitError::kInvalidMaxTokens;
    const core::Error error{core::ErrorCode::kInvalidRequest, std::string(to_string(e)),
                            about_length ? "max_tokens" : (kind == ApiKind::kChat ? "messages" : "prompt")};
    {
      HttpResponse res_ = make_error(req, error);
      co_return co_await write_response(socket, std::move(res_));
    }
  }
  auto state = std::move(*submitted);
  watch_disconnect(socket.socket(), state, ctx.driver);
  if (creq.stream) co_return co_await answer_stream(ctx, socket, req, creq, std::move(state));
  co_return co_await answer_unary(ctx, socket, req, creq, std::move(state));
}

}  // namespace sluice::engine
