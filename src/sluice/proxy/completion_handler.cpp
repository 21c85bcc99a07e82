#include <expected>

#include "sluice/core/duration_text.h"
#include "sluice/net/listener.h"
#include "sluice/proxy/client_writer.h"
#include "sluice/proxy/handlers.h"
#include "sluice/proxy/model_pool.h"
#include "sluice/proxy/rate_limit_head.h"
#include "sluice/proxy/upstream_body.h"
#include "sluice/proxy/upstream_exchange.h"
#include "sluice/tenancy/quota_ledger.h"

namespace sluice::proxy {

using namespace sluice::net;
using core::Error;
using core::ErrorCode;

namespace {

constexpr auto kClientWatchDelay = std::chrono::milliseconds(20);

/// Counts a request in the gateway's in-flight gauge while it runs.
class InFlight {
 public:
  explicit InFlight(obs::GatewayMetrics& metrics) : metrics_(metrics) {
    metrics_.requests_in_flight.fetch_add(1, std::memory_order_relaxed);
  }
  ~InFlight() { metrics_.requests_in_flight.fetch_sub(1, std::memory_order_relaxed); }
  InFlight(const InFlight&) = delete;
  InFlight& operator=(const InFlight&) = delete;

 private:
  obs::GatewayMetrics& metrics_;
};

/// Tokens the request used so far: the engine's usage, or what was streamed
/// when the usage never came (the client or the engine went away).
std::int64_t used_output(const RequestContext& rc) { return std::max(rc.completion_tokens, rc.streamed_tokens); }

/// An admitted request's quota reservation, reconciled with its real usage
/// when the request ends, however it ends.
class QuotaHold {
 public:
  QuotaHold(tenancy::QuotaLedger& ledger, const RequestContext& rc, std::size_t model, std::int64_t reserved)
      : ledger_(ledger), rc_(rc), model_(model), reserved_(reserved) {}
  ~QuotaHold() {
    const std::int64_t used = rc_.status == 200 || rc_.streamed_tokens > 0 ? rc_.prompt_tokens + used_output(rc_) : 0;
    ledger_.finish(rc_.tenant->index, model_, reserved_, used,
                   std::chrono::time_point_cast<core::Duration>(std::chrono::steady_clock::now()));
  }
  QuotaHold(const QuotaHold&) = delete;
  QuotaHold& operator=(const QuotaHold&) = delete;

 private:
  tenancy::QuotaLedger& ledger_;
  const RequestContext& rc_;
  std::size_t model_;
  std::int64_t reserved_;
};

/// A granted slot on an instance, given back to the model's scheduler with
/// the real usage when the request ends.
class SlotHold {
 public:
  SlotHold(ModelPool& pool, std::uint64_t id, std::shared_ptr<balance::Instance> instance, const RequestContext& rc)
      : pool_(pool), id_(id), instance_(std::move(instance)), rc_(rc) {}
  ~SlotHold() { pool_.release(id_, *instance_, rc_.prompt_tokens, used_output(rc_)); }
  balance::Instance& instance() { return *instance_; }
  /// Moves the slot to another instance (see ModelPool::move_to_another).
  bool move_to_another() {
    auto next = pool_.move_to_another(*instance_);
    if (!next) return false;
    instance_ = std::move(next);
    return true;
  }
  SlotHold(const SlotHold&) = delete;
  SlotHold& operator=(const SlotHold&) = delete;

 private:
  ModelPool& pool_;
  std::uint64_t id_;
  std::shared_ptr<balance::Instance> instance_;
  const RequestContext& rc_;
};

obs::RefusalReason refusal_reason(tenancy::Refusal refusal) {
  switch (refusal) {
    case tenancy::Refusal::kRequests: return obs::RefusalReason::kRequests;
    case tenancy::Refusal::kTokens: return obs::RefusalReason::kTokens;
    case tenancy::Refusal::kTooLarge: return obs::RefusalReason::kTooLarge;
    case tenancy::Refusal::kConcurrency:
    case tenancy::Refusal::kNone: break;
  }
  return obs::RefusalReason::kConcurrency;
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

Error model_not_found(std::string_view model) {
  return Error{ErrorCode::kModelNotFound,
               "The model `" + std::string(model) + "` does not exist or you do not have access to it.", "model"};
}

}  // namespace

const tenancy::TenantEntry* authenticate(const ConfigSnapshot& cfg, const ClientRequest& req, Error& error) {
  const auto header = req[http::field::authorization];
  if (header.empty()) {
    error = Error{ErrorCode::kMissingApiKey,
                  "You didn't provide an API key. Send it as 'Authorization: Bearer YOUR_KEY'.", ""};
    return nullptr;
  }
  const auto key = tenancy::bearer_token(header);
  const tenancy::TenantEntry* tenant = key.empty() ? nullptr : cfg.tenants.authenticate(key);
  if (!tenant) error = Error{ErrorCode::kInvalidApiKey, "Incorrect API key provided.", ""};
  return tenant;
}

asio::awaitable<bool> handle_completion(Worker& worker, beast::tcp_stream& client, RequestContext& rc,
                                        ClientRequest& req, ApiKind kind) {
  const ConfigSnapshot& cfg = *rc.config;
  const bool keep = req.keep_alive() && !worker.ctx.draining.load(std::memory_order_relaxed);
  Error error;
  rc.tenant = authenticate(cfg, req, error);
  if (!rc.tenant) co_return co_await write_error(client, rc, error, keep);

  auto summary = summarize_request(req.body(), kind);
  const std::size_t no_model = cfg.config.models.size();
  rc.series = cfg.series(rc.tenant->index, no_model);
  if (!summary) co_return co_await write_error(client, rc, summary.error(), keep);
  rc.stream = summary->stream;

  const auto routes = worker.ctx.routes.load();
  const balance::ModelRoute* route = routes->find(summary->model);
  if (!route || !cfg.tenants.may_use(*rc.tenant, summary->model)) {
    const Error not_found = model_not_found(summary->model);
    co_return co_await write_error(client, rc, not_found, keep);
  }
  rc.model = route->name;
  rc.series = cfg.series(rc.tenant->index, route->index);

  auto band = request_band(*rc.tenant, req);
  if (!band) co_return co_await write_error(client, rc, band.error(), keep);

  // Admission: quotas, with the tokens reserved until the request ends.
  GatewayContext& ctx = worker.ctx;
  const std::int64_t output_estimate = summary->max_tokens.value_or(route->default_max_tokens);
  const std::int64_t reserve = summary->input_tokens + output_estimate;
  const tenancy::AdmitDecision admit = ctx.quotas->admit(rc.tenant->index, route->index, reserve, worker.clock.now());
  rc.extra_head = rate_limit_head(admit.status);
  if (!admit.admitted()) {
    rc.series->count_refusal(refusal_reason(admit.refusal));
    if (admit.retry_after > core::Duration::zero()) rc.extra_head += retry_after_line(admit.retry_after);
    const Error refused{admit.refusal == tenancy::Refusal::kConcurrency ? ErrorCode::kConcurrencyLimited
                                                                         : ErrorCode::kRateLimited,
                        admit.message, ""};
    co_return co_await write_error(client, rc, refused, keep);
  }
  QuotaHold quota_hold(*ctx.quotas, rc, route->index, reserve);
  rc.prompt_tokens = summary->input_tokens;  // replaced by the engine's usage when it reports it

  // The model's fair queue: wait until the scheduler picks this request and
  // an instance has room.
  ModelPool& pool = *ctx.pools[route->index];
  const tenancy::PoolQuota& pool_quota = rc.tenant->pools[route->index];
  const PoolTicket ticket{.id = ctx.next_ticket.fetch_add(1, std::memory_order_relaxed),
                          .tenant = static_cast<std::uint32_t>(rc.tenant->index),
                          .band = *band,
                          .input_tokens = summary->input_tokens,
                          .output_tokens = output_estimate,
                          .max_wait = pool_quota.max_queue_wait,
                          .max_queue = pool_quota.max_queue};
  Acquired acquired = co_await pool.acquire(ticket, client.socket());
  switch (acquired.end) {
    case AcquireEnd::kGranted: break;
    case AcquireEnd::kNoInstance: {
      const Error none{ErrorCode::kNoInstance, "No instance of model `" + route->name + "` is available right now.", ""};
      co_return co_await write_error(client, rc, none, keep);
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

  ExchangePlan plan;
  plan.instance = &slot_hold.instance();
  plan.target = slot_hold.instance().base_path + std::string(rc.path);
  plan.body = build_upstream_body(
      req.body(), *summary,
      UpstreamBodyEdits{route->upstream_model == route->name ? std::string_view() : std::string_view(route->upstream_model),
                        route->cache_salt ? std::string_view(rc.tenant->cache_salt) : std::string_view()});
  plan.stream = summary->stream;
  plan.client_wants_usage = summary->include_usage;
  plan.connect_timeout = cfg.config.server.upstream_connect_timeout;
  plan.timeout = cfg.config.server.timeouts.total;
  plan.on_streamed = [&pool, &rc, id = ticket.id](std::int64_t streamed) {
    rc.streamed_tokens = streamed;
    pool.progress(id, streamed);
  };

  std::optional<beast::tcp_stream> upstream;
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
  ExchangeOutcome outcome = co_await run_exchange(worker, client, rc, plan, upstream);
  // An instance that gave no response at all (crashed, refused, reset) gets
  // one more try on another instance, since nothing reached the client yet.
  if (outcome.retryable && !outcome.response_started && slot_hold.move_to_another()) {
    ctx.metrics.upstream_retries.fetch_add(1, std::memory_order_relaxed);
    upstream.reset();
    plan.instance = &slot_hold.instance();
    plan.target = slot_hold.instance().base_path + std::string(rc.path);
    rc.instance = slot_hold.instance().id.str();
    outcome = co_await run_exchange(worker, client, rc, plan, upstream);
  }
  rc.watch_delay->clear();
  if (watch) {
    watch->stop();
    if (watch->peer_closed()) {
      worker.ctx.metrics.client_disconnects.fetch_add(1, std::memory_order_relaxed);
      rc.status = 499;
      rc.error_code = "client_closed_request";
      co_return false;
    }
  }
  if (outcome.client_gone) {
    worker.ctx.metrics.client_disconnects.fetch_add(1, std::memory_order_relaxed);
    if (rc.status == 0 || rc.status == 200) rc.status = 499;
    rc.error_code = "client_closed_request";
  }
  if (outcome.error && !outcome.response_started) {
    rc.prompt_tokens = 0;
    co_return co_await write_error(client, rc, *outcome.error, keep);
  }
  co_return outcome.client_ok && keep;
}

}  // namespace sluice::proxy
