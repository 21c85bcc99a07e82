#pragma once
/// Writing responses to the gateway's client connection. Every response
/// carries x-request-id; errors go through core::Error → OpenAI JSON.
#include <string>

#include "sluice/core/error.h"
#include "sluice/net/asio.h"
#include "sluice/net/stream.h"
#include "sluice/proxy/request_context.h"

namespace sluice::proxy {

/// Writes a complete response. Returns false when the write failed.
net::asio::awaitable<bool> write_response(net::Stream& client, RequestContext& rc, unsigned status,
                                          std::string_view content_type, std::string body, bool keep_alive);

/// Writes an OpenAI-shaped error and records it in `rc`.
net::asio::awaitable<bool> write_error(net::Stream& client, RequestContext& rc, const core::Error& error,
                                       bool keep_alive);

}  // namespace sluice::proxy
