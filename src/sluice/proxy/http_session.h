#pragma once
#include <memory>

#include "sluice/net/asio.h"
#include "sluice/net/stream.h"
#include "sluice/proxy/worker.h"

namespace sluice::proxy {

/// Serves one client connection of the OpenAI API listener: reads requests
/// with the configured limits (header size and count, body size, read time),
/// dispatches them, keeps the connection alive between them unless a
/// request says `Connection: close` (or is HTTP/1.0 without keep-alive) or
/// the gateway drains. A request refused before it was read whole (413, 431,
/// 408) is answered, then the connection lingers, discarding what the client
/// still sends, so the client reads the answer rather than a reset.
/// With `tls` (an https listener) the connection starts with a TLS handshake
/// on that context, which the connection keeps until it ends.
net::asio::awaitable<void> serve_client(Worker& worker, net::tcp::socket socket,
                                        std::shared_ptr<net::ssl::context> tls);

}  // namespace sluice::proxy
