// GET /v1/sluice/usage and /v1/sluice/remaining: a tenant reads its own
// usage and what is left of its quotas and budgets with its own API key. A
// question about anyone else (a `tenant=` naming another) is answered 404,
// revealing nothing. The store is read on the blocking pool, never on the
// I/O thread.
#include "sluice/proxy/client_writer.h"
#include "sluice/proxy/handlers.h"

namespace sluice::proxy {

using namespace sluice::net;
using core::Error;
using core::ErrorCode;

namespace {
std::optional<std::string_view> param(std::string_view query, std::string_view name) {
  while (!query.empty()) {
    const std::size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    const std::size_t eq = pair.find('=');
    if (pair.substr(0, eq) == name) return eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
  }
  return std::nullopt;
}
}  // namespace

asio::awaitable<bool> handle_tenant_state(Worker& worker, Stream& client, RequestContext& rc, const ClientRequest& req) {
  const ConfigSnapshot& cfg = *rc.config;
  const bool keep = req.keep_alive() && !worker.ctx.draining.load(std::memory_order_relaxed);
  Error error;
  if (!authenticate(cfg, req, rc, error)) co_return co_await write_error(client, rc, error, keep);
  rc.series = cfg.series(rc.tenant->index, cfg.config.models.size());
  const std::string_view target = req.target();
  const std::size_t q = target.find('?');
  const std::string path(target.substr(0, q));
  const std::string query(q == std::string_view::npos ? std::string_view() : target.substr(q + 1));
  const std::string tenant = rc.tenant->id.str();
  if (auto asked = param(query, "tenant"); (asked && *asked != tenant) || !worker.ctx.tenant_state ||
                                            !worker.ctx.blocking) {
    const Error not_found{ErrorCode::kNotFound, "no route for " + path, ""};
    co_return co_await write_error(client, rc, not_found, keep);
  }
  GatewayContext& ctx = worker.ctx;
  GatewayContext::TenantStateReply reply = co_await asio::co_spawn(
      *ctx.blocking,
      [&ctx, &path, &query, &tenant]() -> asio::awaitable<GatewayContext::TenantStateReply> {
        co_return ctx.tenant_state(path, query, tenant);
      },
      asio::use_awaitable);
  co_return co_await write_response(client, rc, static_cast<unsigned>(reply.status), reply.content_type,
                                    std::move(reply.body), keep);
}

}  // namespace sluice::proxy
