#include "sluice/balance/least_request.h"
#include "sluice/net/listener.h"
#include "sluice/proxy/client_writer.h"
#include "sluice/proxy/handlers.h"
#include "sluice/proxy/upstream_body.h"
#include "sluice/proxy/upstream_exchange.h"

namespace sluice::proxy {

using namespace sluice::net;
using core::Error;
using core::ErrorCode;

namespace {

constexpr auto kClientWatchDelay = std::chrono::milliseconds(20);

/// Counts a request against an instance and the gateway while it runs.
class InFlight {
 public:
  InFlight(balance::Instance& instance, obs::GatewayMetrics& metrics) : instance_(instance), metrics_(metrics) {
    instance_.outstanding.fetch_add(1, std::memory_order_relaxed);
    metrics_.requests_in_flight.fetch_add(1, std::memory_order_relaxed);
  }
  ~InFlight() {
    instance_.outstanding.fetch_sub(1, std::memory_order_relaxed);
    metrics_.requests_in_flight.fetch_sub(1, std::memory_order_relaxed);
  }
  InFlight(const InFlight&) = delete;
  InFlight& operator=(const InFlight&) = delete;

 private:
  balance::Instance& instance_;
  obs::GatewayMetrics& metrics_;
};

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

  const int pick = balance::pick_least_request(route->instances, worker.rng(), worker.rng());
  if (pick < 0) {
    const Error none{ErrorCode::kNoInstance, "No instance of model `" + route->name + "` is available right now.", ""};
    co_return co_await write_error(client, rc, none, keep);
  }
  balance::Instance& instance = *route->instances[static_cast<std::size_t>(pick)];
  rc.instance = instance.id.str();
  InFlight in_flight(instance, worker.ctx.metrics);

  ExchangePlan plan;
  plan.instance = &instance;
  plan.target = instance.base_path + std::string(rc.path);
  plan.body = build_upstream_body(
      req.body(), *summary,
      UpstreamBodyEdits{route->upstream_model == route->name ? std::string_view() : std::string_view(route->upstream_model),
                        route->cache_salt ? std::string_view(rc.tenant->cache_salt) : std::string_view()});
  plan.stream = summary->stream;
  plan.client_wants_usage = summary->include_usage;
  plan.connect_timeout = cfg.config.server.upstream_connect_timeout;
  plan.timeout = cfg.config.server.upstream_timeout;
  rc.prompt_tokens = summary->input_tokens;  // replaced by the engine's usage when it reports it

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
