#pragma once
#include "sluice/net/asio.h"
#include "sluice/proxy/worker.h"

namespace sluice::proxy {

/// Serves one client connection of the OpenAI API listener: reads requests
/// with the configured limits (header size and count, body size, read time),
/// dispatches them, keeps the connection alive between them.
net::asio::awaitable<void> serve_client(Worker& worker, net::tcp::socket socket);

}  // namespace sluice::proxy
