#pragma once
#include <cstdint>
#include <expected>
#include <string>

#include "sluice/net/asio.h"

namespace sluice::net {

/// Opens, binds and listens on host:port. With `reuse_port`, several
/// acceptors (one per I/O thread) can share the port and the kernel spreads
/// connections among them. Returns a message on failure ("127.0.0.1:8080:
/// Address already in use").
std::expected<tcp::acceptor, std::string> open_acceptor(asio::io_context& io, const std::string& host,
                                                        std::uint16_t port, bool reuse_port);

/// Completes with true when the peer of `socket` has closed or reset the
/// connection; with false only when cancelled (if the peer pipelines more
/// data, watching stops but the coroutine still waits for cancellation). Used to notice a client that goes away while
/// its request waits on an engine.
asio::awaitable<bool> wait_peer_closed(tcp::socket& socket);

}  // namespace sluice::net
