#pragma once
/// The OpenAI API routes of the gateway. Each handler writes exactly one
/// response and returns whether the client connection may be kept alive.
#include "sluice/net/asio.h"
#include "sluice/net/stream.h"
#include "sluice/proxy/request_context.h"
#include "sluice/proxy/request_summary.h"
#include "sluice/proxy/worker.h"

namespace sluice::proxy {

using ClientRequest = net::http::request<net::http::string_body>;

/// POST /v1/chat/completions and /v1/completions.
net::asio::awaitable<bool> handle_completion(Worker& worker, net::Stream& client, RequestContext& rc,
                                             ClientRequest& req, ApiKind kind);
/// GET /v1/models and GET /v1/models/{id}: only the caller's models.
net::asio::awaitable<bool> handle_models(Worker& worker, net::Stream& client, RequestContext& rc,
                                         const ClientRequest& req, std::string_view model_id);

/// GET /v1/sluice/usage and /v1/sluice/remaining: the caller's own usage
/// and what is left of its quotas and budgets.
net::asio::awaitable<bool> handle_tenant_state(Worker& worker, net::Stream& client, RequestContext& rc,
                                               const ClientRequest& req);

/// Sets `rc.tenant` and `rc.key` to the caller of `req` from its
/// Authorization header; false (and `error` set) when there is none.
bool authenticate(const ConfigSnapshot& cfg, const ClientRequest& req, RequestContext& rc, core::Error& error);

}  // namespace sluice::proxy
