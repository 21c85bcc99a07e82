#pragma once
/// A one-shot HTTP/1.1 GET to host:port on a new connection, bounded by a
/// timeout: for scrapes and probes of the control plane, not the data path.
#include <chrono>
#include <expected>
#include <string>

#include "sluice/net/asio.h"

namespace sluice::net {

/// The body of a 200 response, or why there is none ("status 404",
/// "connect: Connection refused", "timeout").
asio::awaitable<std::expected<std::string, std::string>> http_get(std::string host, std::uint16_t port,
                                                                  std::string target,
                                                                  std::chrono::milliseconds timeout);

}  // namespace sluice::net
