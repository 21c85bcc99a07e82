#include <spdlog/spdlog.h>

#include <expected>

#include "sluice/core/duration_text.h"
#include "sluice/net/listener.h"
#include "sluice/proxy/client_writer.h"
#include "sluice/proxy/handlers.h"
#include "sluice/proxy/model_pool.h"
#include "sluice/proxy/quota_admission.h"
#include "sluice/proxy/rate_limit_head.h"
#include "sluice/proxy/request_holds.h"
#include "sluice/proxy/stream_continuation.h"
#include "sluice/proxy/upstream_body.h"
#include "sluice/proxy/upstream_exchange.h"
#include "sluice/balance/prefix_key.h"
#include "sluice/core/stable_hash.h"
#include "sluice/proxy/instance_metrics.h"
#include "sluice/proxy/mirror.h"
#include "sluice/route/fault.h"
#include "sluice/route/retry_budget.h"
#include "sluice/route/split_pick.h"
#include "sluice/tenancy/quota_ledger.h"

namespace sluice::proxy {

using namespace sluice::net;
using core::Error;
using core::ErrorCode;

namespace {

constexpr auto kClientWatchDelay = std::chrono::milliseconds(20);


/// Ends a broken stream that has nothing left to generate the way an
/// engine would have (finish chunk, usage, [DONE]), charging the tokens
/// relayed.
asio::awaitable<bool> close_stream(Stream& client, RequestContext& rc, const StreamTranscript& transcript,
                                   ApiKind kind, const RequestSummary& summary) {
  rc.completion_tokens = std::max(rc.completion_tokens, transcript.tokens());
  const std::string closing = closing_events(transcript, kind, summary.include_usage, summary.input_tokens);
  co_return co_await end_client_stream(client, closing);
}

/// The event that ends a stream cut by the end of the shutdown grace period.
constexpr std::string_view kShutdownEvents =
    "data: {\"error\":{\"message\":\"the gateway is shutting down; please retry\",\"type\":\"server_error\","
    "\"param\":null,\"code\":\"shutting_down\"}}\n\ndata: [DONE]\n\n";

/// Answers a request whose try the end of the shutdown grace period cut (or
/// kept from starting): an open stream gets an error event, [DONE] and its
/// end; otherwise the caller sends the 503 error set here. Never retried.
asio::awaitable<void> end_for_shutdown(Stream& client, RequestContext& rc, ExchangeOutcome& outcome) {
  outcome.held.reset();
  if (outcome.response_started) {
    rc.completion_tokens = std::max(rc.completion_tokens, rc.streamed_tokens);
    rc.status = 503;
    rc.error_code = "shutting_down";
    if (outcome.stream_broken) co_await end_client_stream(client, kShutdownEvents);
    outcome.stream_broken = false;
    outcome.client_ok = false;
    co_return;
  }
  outcome.error = Error{ErrorCode::kShuttingDown, "The gateway is shutting down; please retry.", ""};
}

/// Waits (a retry's backoff, an injected delay).
asio::awaitable<void> wait_for(Stream& client, core::Duration wait) {
  if (wait <= core::Duration::zero()) co_return;
  asio::steady_timer timer(client.get_executor());
  timer.expires_after(wait);
  co_await timer.async_wait(use_nothrow);
}

/// How long a retry or a continuation waits for an instance it has not
/// tried to appear: the fleet puts a standby in rotation within
/// milliseconds of a crash, often just after the failed try noticed it.
constexpr core::Duration kWaitForReplacement = std::chrono::seconds(1);

/// The wait for a replacement, within what is left of the request's total
/// time (zero = no total limit).
core::Duration patience(core::Duration total, core::Duration elapsed) {
  if (total <= core::Duration::zero()) return kWaitForReplacement;
  return std::clamp(total - elapsed, core::Duration::zero(), kWaitForReplacement);
}

/// Moves the slot to an instance not in `tried`, polling for up to
/// `patience` while none has room (and the client is still there).
asio::awaitable<bool> move_soon(SlotHold& hold, std::span<const std::uint64_t> tried, Stream& client,
                                core::Duration patience) {
  const auto give_up = core::steady_now() + patience;
  for (;;) {
    if (hold.move_to_another(tried)) co_return true;
    if (core::steady_now() >= give_up || !client.socket().is_open()) co_return false;
    co_await wait_for(client, std::chrono::milliseconds(20));
  }
}

/// The request's key for a hashed balancing policy, if the model has one.
std::optional<std::uint64_t> balance_key(const config::BalanceConfig& balance, route::HeaderLookup headers,
                                         const tenancy::TenantEntry& tenant, const RequestSummary& summary,
                                         std::string_view body) {
  if (balance.policy == config::BalancePolicy::kConsistentHash) {
    return route::hash_key(balance.hash_on, headers, tenant.id.str(), summary.user);
  }
  if (balance.policy == config::BalancePolicy::kPrefixAffinity) {
    // The body after the model name: the prompt or messages, as the client
    // serialized them (a shared system prompt gives a shared prefix). Keys
    // are per tenant, since prefix caches are salted per tenant.
    const std::string_view prompt = body.substr(std::min(body.size(), summary.model_value_offset + summary.model_value_length));
    return balance::prefix_key(prompt, static_cast<std::size_t>(balance.prefix_tokens),
                               core::hash_bytes(tenant.cache_salt));
  }
  return std::nullopt;
}

double unit(Worker& worker) { return std::uniform_real_distribution<double>(0.0, 1.0)(worker.rng); }

/// Sends the route's mirror copy of the request (fire-and-forget).
void mirror_request(Worker& worker, const net::asio::any_io_executor& executor, const ConfigSnapshot& cfg, const route::CompiledRoute& matched,
                    std::string_view body, const RequestSummary& summary, const RequestContext& rc) {
  const config::MirrorConfig& m = *matched.route.mirror;
  const auto table = worker.ctx.routes.load();
  const balance::ModelRoute* target = table->find(m.model);
  obs::RouteCounters* counters = cfg.route_counters(matched.index);
  if (!target) {
    counters->mirror_dropped.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  auto copy = build_upstream_body(
      body, summary,
      UpstreamBodyEdits{target->upstream_model,
                        target->cache_salt ? std::string_view(rc.tenant->cache_salt) : std::string_view()});
  if (!copy) {
    counters->mirror_dropped.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  start_mirror(executor, *worker.ctx.pools[target->index], rc.path, std::move(*copy),
               cfg.config.server.timeouts.total, counters);
}

/// The band a request runs in: the tenant's priority, or what it asks for
/// with x-sluice-priority up to its max_priority.
std::expected<sched::Band, Error> request_band(const tenancy::TenantEntry& tenant, const ClientRequest& req) {
  const auto header = req["x-sluice-priority"];
  if (header.empty()) return tenant.priority;
  sched::Band band;
  if (header == "critical") band = sched::Band::kCritical;
  else if (header == "standard") band = sched::Band::kStandard;
  else if (header == "batch") band = sched::Band::kBatch;
  else {
    return std::unexpected(Error{ErrorCode::kInvalidRequest,
                                 "x-sluice-priority must be one of critical, standard, batch; got `" +
                                     std::string(header) + "`.",
                                 "x-sluice-priority"});
  }
  if (band < tenant.max_priority) {
    return std::unexpected(Error{ErrorCode::kInvalidRequest,
                                 "This API key may not use priority `" + std::string(config::to_string(band)) +
                                     "`; the highest it may use is `" +
                                     std::string(config::to_string(tenant.max_priority)) + "`.",
                                 "x-sluice-priority"});
  }
  return band;
}

/// The prompt's allowance before a stream's first event, for the try watch
/// (a conservative 10,000 prompt tokens a second of prefill).
constexpr auto kPrefillAllowancePerToken = std::chrono::microseconds(100);

/// Whether moving a failed try elsewhere moves load rather than adding it:
/// its instance is known gone (exited, failing its checks, ejected, found
/// stalled) or dropped the connection without an answer. The retry budget,
/// which guards an overloaded pool answering errors, does not count it.
bool moves_load(const balance::Instance& instance, const ExchangeOutcome& outcome) {
  return outcome.instance_gone || !instance.available.load(std::memory_order_relaxed) ||
         !instance.usable(core::steady_now().time_since_epoch().count());
}

/// Tells outlier detection what a try said about its instance. A try cut
/// short because the client went away says nothing about the instance.
void report_try(ModelPool& pool, balance::Instance& instance, const ExchangeOutcome& outcome,
                const std::optional<PeerCloseWatch>& watch) {
  const bool client_left = outcome.client_gone || (watch && watch->peer_closed());
  const auto ejection = pool.report(instance, client_left ? health::Outcome::kIgnored : outcome.verdict);
  if (ejection) {
    spdlog::warn("instance {} ejected for {}: {}", instance.id.str(),
                 core::format_duration(ejection->until - core::steady_now()),
                 health::to_string(ejection->reason));
  }
}

/// The model's context length: the config's (or its sim profile's), else
/// the smallest its engines reported (GET /v1/models); 0 = unknown.
std::int64_t context_length(const balance::ModelRoute& route) {
  if (route.max_model_len > 0) return route.max_model_len;
  std::int64_t smallest = 0;
  for (const auto& i : route.instances) {
    const std::int64_t len = i->max_model_len.load(std::memory_order_relaxed);
    if (len > 0 && (smallest == 0 || len < smallest)) smallest = len;
  }
  return smallest;
}

/// Whether the request fits the model's context length (prompt estimate +
/// max_tokens, or + 1 when it does not say: the engine fills the rest).
std::expected<void, Error> check_context_length(const balance::ModelRoute& route, const RequestSummary& summary,
                                                ApiKind kind) {
  const std::int64_t max_model_len = context_length(route);
  if (max_model_len <= 0) return {};
  const std::int64_t output = summary.max_tokens.value_or(1);
  if (summary.input_tokens + output <= max_model_len) return {};
  const bool chat = kind == ApiKind::kChat;
  return std::unexpected(Error{
      ErrorCode::kContextLengthExceeded,
      fmt::format("This model's maximum context length is {} tokens. However, you requested about {} tokens ({} in "
                  "the {}, {} for the completion). Please reduce the length of the {} or the completion.",
                  max_model_len, summary.input_tokens + output, summary.input_tokens,
                  chat ? "messages" : "prompt", output, chat ? "messages" : "prompt"),
      chat ? "messages" : "prompt"});
}

Error model_not_found(std::string_view model) {
  return Error{ErrorCode::kModelNotFound,
               "The model `" + std::string(model) + "` does not exist or you do not have access to it.", "model"};
}

}  // namespace

bool authenticate(const ConfigSnapshot& cfg, const ClientRequest& req, RequestContext& rc, Error& error) {
  const auto header = req[http::field::authorization];
  if (header.empty()) {
    error = Error{ErrorCode::kMissingApiKey,
                  "You didn't provide an API key. Send it as 'Authorization: Bearer YOUR_KEY'.", ""};
    return false;
  }
  const auto key = tenancy::bearer_token(header);
  const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch()).count();
  const tenancy::Caller caller = key.empty() ? tenancy::Caller{} : cfg.tenants.identify(key, now_ms);
  if (caller.expired) {
    error = Error{ErrorCode::kInvalidApiKey, "The API key provided has expired.", ""};
  } else if (!caller.tenant) {
    error = Error{ErrorCode::kInvalidApiKey, "Incorrect API key provided.", ""};
  }
  rc.tenant = caller.tenant;
  rc.key = caller.key;
  return rc.tenant != nullptr;
}

asio::awaitable<bool> handle_completion(Worker& worker, Stream& client, RequestContext& rc,
                                        ClientRequest& req, ApiKind kind) {
  const ConfigSnapshot& cfg = *rc.config;
  const bool keep = req.keep_alive() && !worker.ctx.draining.load(std::memory_order_relaxed);
  Error error;
  if (!authenticate(cfg, req, rc, error)) co_return co_await write_error(client, rc, error, keep);

  auto summary = summarize_request(req.body(), kind);
  const std::size_t no_model = cfg.config.models.size();
  rc.series = cfg.series(rc.tenant->index, no_model);
  if (!summary) co_return co_await write_error(client, rc, summary.error(), keep);
  rc.stream = summary->stream;

  // Routes: the first whose match holds picks the model (its split), and
  // may rewrite, mirror, inject faults, and set timeouts and retries.
  const auto header_of = [&req](std::string_view name) -> std::optional<std::string_view> {
    const auto it = req.find(beast::string_view(name.data(), name.size()));
    if (it == req.end()) return std::nullopt;
    return std::string_view(it->value().data(), it->value().size());
  };
  const route::CompiledRoute* matched = cfg.routes.match(summary->model, header_of, rc.tenant->id.str());
  std::string_view target_model = summary->model;
  if (matched) {
    cfg.route_counters(matched->index)->matched.fetch_add(1, std::memory_order_relaxed);
    const auto key = route::hash_key(matched->route.sticky, header_of, rc.tenant->id.str(), summary->user);
    const std::size_t target = route::pick_target(*matched, key, worker.rng());
    cfg.split_counter(matched->index, target)->fetch_add(1, std::memory_order_relaxed);
    target_model = matched->route.split[target].model;
  }
  const auto routes = worker.ctx.routes.load();
  const balance::ModelRoute* route = routes->find(target_model);
  if (!route || !cfg.tenants.may_use(*rc.tenant, summary->model)) {
    const Error not_found = model_not_found(summary->model);
    co_return co_await write_error(client, rc, not_found, keep);
  }
  rc.model = route->name;
  rc.series = cfg.series(rc.tenant->index, route->index);

  auto band = request_band(*rc.tenant, req);
  if (!band) co_return co_await write_error(client, rc, band.error(), keep);

  if (matched) {
    const route::FaultDecision fault = route::decide_fault(matched->route.fault, unit(worker), unit(worker));
    if (fault.delay > core::Duration::zero()) {
      cfg.route_counters(matched->index)->delayed.fetch_add(1, std::memory_order_relaxed);
      co_await wait_for(client, fault.delay);
    }
    if (fault.abort_status) {
      cfg.route_counters(matched->index)->aborted.fetch_add(1, std::memory_order_relaxed);
      const Error injected{ErrorCode::kFaultInjected,
                           "fault injected by route " + matched->route.name + " (status " +
                               std::to_string(*fault.abort_status) + ")",
                           "", *fault.abort_status};
      co_return co_await write_error(client, rc, injected, keep);
    }
  }

  // A request that can never be served is a 400, never a 429 (which SDKs retry).
  if (auto too_long = check_context_length(*route, *summary, kind); !too_long) {
    co_return co_await write_error(client, rc, too_long.error(), keep);
  }

  // Admission: quotas, with the tokens reserved until the request ends.
  GatewayContext& ctx = worker.ctx;
  const std::int64_t output_estimate = summary->max_tokens.value_or(route->default_max_tokens);
  const std::int64_t reserve = summary->input_tokens + output_estimate;
  const tenancy::AdmitDecision admit = co_await admit_quota(worker, cfg, rc.tenant->index, route->index, reserve);
  rc.extra_head = rate_limit_head(admit.status);
  if (!admit.admitted()) {
    rc.series->count_refusal(refusal_reason(admit.refusal));
    if (admit.retry_after > core::Duration::zero()) rc.extra_head += retry_after_line(admit.retry_after);
    co_return co_await write_error(client, rc, refusal_error(admit), keep);
  }
  QuotaHold quota_hold(*cfg.quotas, rc, route->index, reserve);

  // Budgets: the worst case at the model's prices is held until the request ends.
  const config::Model& priced = cfg.config.models[route->index];
  std::optional<SpendHold> spend_hold;
  if (cfg.budgets && cfg.budgets->any()) {
    const std::int64_t now_ms = unix_now_ms();
    const tenancy::BudgetAdmit budget =
        admit_budget(*cfg.budgets, rc.tenant->index, rc.key, priced, summary->input_tokens, output_estimate, now_ms);
    if (!budget.admitted) {
      rc.extra_head += budget_retry_after(budget, now_ms);
      const Error spent{ErrorCode::kInsufficientQuota, budget.message, ""};
      co_return co_await write_error(client, rc, spent, keep);
    }
    if (!budget.ticket.empty()) spend_hold.emplace(*cfg.budgets, budget.ticket, rc, priced, ctx);
  }
  rc.prompt_tokens = summary->input_tokens;  // replaced by the engine's usage when it reports it

  // The model's fair queue: wait until the scheduler picks this request and
  // an instance has room.
  ModelPool& pool = *ctx.pools[route->index];
  const tenancy::PoolQuota& pool_quota = rc.tenant->pools[route->index];
  const PoolTicket ticket{.id = ctx.next_ticket.fetch_add(1, std::memory_order_relaxed),
                          .tenant = cfg.sched_tenant(rc.tenant->index),
                          .band = *band,
                          .input_tokens = summary->input_tokens,
                          .output_tokens = output_estimate,
                          .max_wait = pool_quota.max_queue_wait,
                          .max_queue = pool_quota.max_queue,
                          .key = balance_key(cfg.config.models[route->index].balance, header_of, *rc.tenant,
                                             *summary, req.body())};
  Acquired acquired = co_await pool.acquire(ticket, client.socket());
  switch (acquired.end) {
    case AcquireEnd::kGranted: break;
    case AcquireEnd::kNoInstance: {
      const Error none{ErrorCode::kNoInstance, "No instance of model `" + route->name + "` is available right now.", ""};
      co_return co_await write_error(client, rc, none, keep);
    }
    case AcquireEnd::kOverLimit: {
      const Error over{ErrorCode::kNoInstance,
                       "Every instance of model `" + route->name +
                           "` is over its circuit-breaker limits; please retry shortly.",
                       ""};
      co_return co_await write_error(client, rc, over, keep);
    }
    case AcquireEnd::kQueueFull: {
      rc.series->count_refusal(obs::RefusalReason::kQueueFull);
      rc.extra_head += retry_after_line(std::chrono::seconds(1));
      const Error full{ErrorCode::kQueueFull,
                       "Too many of your requests are waiting for model `" + route->name + "` (the limit is " +
                           std::to_string(pool_quota.max_queue.value_or(0)) + "). Please try again later.",
                       ""};
      co_return co_await write_error(client, rc, full, keep);
    }
    case AcquireEnd::kQueueTimeout: {
      rc.series->count_refusal(obs::RefusalReason::kQueueTimeout);
      rc.extra_head += retry_after_line(std::chrono::seconds(1));
      const Error timeout{ErrorCode::kQueueTimeout,
                          "The request waited " + core::format_duration(pool_quota.max_queue_wait) +
                              " for model `" + route->name + "` without getting capacity. Please try again later.",
                          ""};
      co_return co_await write_error(client, rc, timeout, keep);
    }
    case AcquireEnd::kShuttingDown: {
      const Error closing{ErrorCode::kShuttingDown, "The gateway is shutting down; please retry.", ""};
      co_return co_await write_error(client, rc, closing, false);
    }
    case AcquireEnd::kClientGone:
      ctx.metrics.client_disconnects.fetch_add(1, std::memory_order_relaxed);
      rc.status = 499;
      rc.error_code = "client_closed_request";
      rc.prompt_tokens = 0;
      co_return false;
  }
  rc.series->dispatched.fetch_add(1, std::memory_order_relaxed);
  rc.series->queue_wait.observe(core::to_seconds(acquired.waited));  // served requests only; refusals are counted apart
  SlotHold slot_hold(pool, ticket.id, std::move(acquired.instance), rc);
  rc.instance = slot_hold.instance().id.str();
  InFlight in_flight(ctx.metrics);

  const config::RetryPolicy& policy =
      matched && matched->route.retry ? *matched->route.retry : cfg.config.server.retry;
  const config::TimeoutConfig& limits =
      matched && matched->route.timeouts ? *matched->route.timeouts : cfg.config.server.timeouts;
  const std::string_view upstream_model = matched && matched->route.upstream_model
                                              ? std::string_view(*matched->route.upstream_model)
                                          : route->upstream_model == summary->model ? std::string_view()
                                                                                 : std::string_view(route->upstream_model);
  std::uint32_t retries_done = 0;
  ExchangePlan plan;
  auto upstream_body = build_upstream_body(
      req.body(), *summary,
      UpstreamBodyEdits{upstream_model, route->cache_salt ? std::string_view(rc.tenant->cache_salt) : std::string_view()});
  if (!upstream_body) co_return co_await write_error(client, rc, upstream_body.error(), keep);
  plan.body = std::move(*upstream_body);
  if (matched && matched->route.mirror && route::should_mirror(*matched->route.mirror, unit(worker))) {
    mirror_request(worker, client.get_executor(), cfg, *matched, req.body(), *summary, rc);
  }
  plan.stream = summary->stream;
  plan.client_wants_usage = summary->include_usage;
  plan.connect_timeout = cfg.config.server.upstream_connect_timeout;
  plan.deadline = std::chrono::steady_clock::now() + std::chrono::duration_cast<std::chrono::steady_clock::duration>(limits.total);
  plan.per_try = limits.per_try;
  plan.first_token = limits.first_token;
  plan.stream_idle = limits.stream_idle;
  const config::OutlierDetectionConfig& outliers = cfg.config.models[route->index].outlier_detection;
  plan.siblings = &route->instances;
  plan.stall = outliers.enabled ? outliers.stall : core::Duration::zero();
  plan.prefill_allowance = summary->input_tokens * kPrefillAllowancePerToken;
  plan.canary_model = upstream_model.empty() ? std::string_view(route->upstream_model) : upstream_model;
  plan.hold = [&policy, &retries_done](int status) {
    return retries_done < policy.retries && route::retriable(policy, route::TryResult::answer(status));
  };
  plan.on_streamed = [&pool, &rc, id = ticket.id](std::int64_t streamed) {
    rc.streamed_tokens = streamed;
    pool.progress(id, streamed);
  };

  std::optional<Stream> upstream;
  // A client that goes away while its request runs closes the upstream
  // connection at once, which cancels the request in the engine. Watching
  // costs a reactor re-registration (one epoll_ctl), so the watch starts
  // only once the exchange has run for kClientWatchDelay: most short
  // requests end before, and a long generation is cut within that delay.
  std::optional<PeerCloseWatch> watch;
  rc.watch_delay->set(std::chrono::steady_clock::now() + kClientWatchDelay, [&watch, &client, &upstream] {
    watch.emplace(client.socket(), [&upstream] {
      if (!upstream) return;
      error_code ignored;
      upstream->socket().shutdown(tcp::socket::shutdown_both, ignored);
      upstream->socket().close(ignored);
    });
  });
  // Tries: the first, then retries on other instances while the policy,
  // the retry budget and the deadline allow and nothing reached the client.
  // A stream that breaks after its first event is continued on another
  // instance instead (up to `retries` times), spliced into the same stream.
  BudgetHold budget(pool.retry_budget());
  std::vector<std::uint64_t> tried;
  ExchangeOutcome outcome;
  StreamSeams seams(plan, policy.retries > 0);
  bool broke_mid_stream = false;
  // The end of the shutdown grace period closes the try's upstream connection.
  const GraceCancel::Hook grace_hook(worker.grace, [&upstream] {
    if (!upstream) return;
    error_code ignored;
    upstream->socket().shutdown(tcp::socket::shutdown_both, ignored);
    upstream->socket().close(ignored);
  });
  for (;;) {
    if (worker.grace.cancelled()) {  // no new try once the grace period is over
      co_await end_for_shutdown(client, rc, outcome);
      broke_mid_stream = false;
      break;
    }
    balance::Instance& instance = slot_hold.instance();
    plan.instance = &instance;
    plan.target = instance.base_path + std::string(rc.path);
    rc.instance = instance.id.str();
    tried.push_back(instance.serial);
    outcome = co_await run_exchange(worker, client, rc, plan, upstream);
    report_try(pool, instance, outcome, watch);
    budget.end_retry();
    const bool client_left = outcome.client_gone || (watch && watch->peer_closed());
    if (worker.grace.cancelled() && !client_left &&
        (outcome.stream_broken || outcome.held || (outcome.error && !outcome.response_started))) {
      co_await end_for_shutdown(client, rc, outcome);
      broke_mid_stream = false;
      break;
    }
    if (outcome.stream_broken && !client_left) {
      broke_mid_stream = true;
      const core::Duration elapsed = worker.clock.now() - rc.started;
      const SeamLimits seam_limits{.continuations_done = seams.continuations(),
                                   .max_continuations = policy.retries,
                                   .deadline_passed = outcome.total_timeout ||
                                                      (limits.total > core::Duration::zero() && elapsed >= limits.total)};
      SeamStep step = seams.next(kind, seam_limits);
      if (step.kind == SeamStep::Kind::kClose) {
        outcome.client_ok = co_await close_stream(client, rc, seams.transcript(), kind, *summary);
        outcome.stream_broken = false;
        break;
      }
      if (step.kind == SeamStep::Kind::kGiveUp) break;
      // A continuation is a retry to the budget, unless its instance is
      // gone (it moves load, it adds none); no backoff: the client is mid-stream.
      if (!moves_load(instance, outcome) && !budget.start_retry(policy)) {
        ctx.metrics.retry_budget_exhausted.fetch_add(1, std::memory_order_relaxed);
        break;
      }
      const bool moved = co_await move_soon(slot_hold, tried, client, patience(limits.total, elapsed));
      if (!moved) {
        budget.end_retry();
        break;
      }
      seams.begin_continuation(std::move(step.body), summary->input_tokens);
      upstream.reset();
      continue;
    }
    if (outcome.response_started || client_left || outcome.total_timeout) break;
    if (!outcome.error && !outcome.held) break;
    const core::Duration elapsed = worker.clock.now() - rc.started;
    if (!route::should_retry(policy, outcome.result, retries_done, false, elapsed, limits.total)) break;
    if (!moves_load(instance, outcome) && !budget.start_retry(policy)) {
      ctx.metrics.retry_budget_exhausted.fetch_add(1, std::memory_order_relaxed);
      break;
    }
    co_await wait_for(client, route::backoff(policy, retries_done + 1, unit(worker)));
    const bool moved = co_await move_soon(slot_hold, tried, client, patience(limits.total, worker.clock.now() - rc.started));
    if (!moved) {
      budget.end_retry();
      break;
    }
    instance.counters.retries[retry_cause(outcome.result.failure)].fetch_add(1, std::memory_order_relaxed);
    ctx.metrics.upstream_retries.fetch_add(1, std::memory_order_relaxed);
    upstream.reset();
    ++retries_done;
  }
  rc.watch_delay->clear();
  // A client that closes as soon as it has read [DONE] (as SDKs do) was
  // served: its request is a 200, not a 499.
  const bool served = plan.stream && rc.status == 200 && seams.transcript().done();
  if (watch) {
    watch->stop();
    if (watch->peer_closed()) {
      if (served) co_return false;
      worker.ctx.metrics.client_disconnects.fetch_add(1, std::memory_order_relaxed);
      rc.status = 499;
      rc.error_code = "client_closed_request";
      co_return false;
    }
  }
  if (outcome.client_gone && !served) {
    worker.ctx.metrics.client_disconnects.fetch_add(1, std::memory_order_relaxed);
    if (rc.status == 0 || rc.status == 200) rc.status = 499;
    rc.error_code = "client_closed_request";
  }
  if (broke_mid_stream && !outcome.client_gone) {
    if (outcome.stream_broken) {
      outcome.client_ok = co_await end_broken_stream(client, rc, outcome.stream_stalled);
      pool.continuations().failed.fetch_add(1, std::memory_order_relaxed);
    } else {
      pool.continuations().spliced.fetch_add(1, std::memory_order_relaxed);
    }
  }
  if (outcome.held && !outcome.client_gone) {
    // The last try's answer was held for a retry that did not happen.
    HeldResponse& held = *outcome.held;
    rc.prompt_tokens = 0;
    const bool written = co_await write_response(client, rc, static_cast<unsigned>(held.status), held.content_type,
                                                 std::move(held.body), keep);
    co_return written && keep;
  }
  if (outcome.error && !outcome.response_started) {
    rc.prompt_tokens = 0;
    co_return co_await write_error(client, rc, *outcome.error, keep);
  }
  co_return outcome.client_ok && keep;
}

}  // namespace sluice::proxy
