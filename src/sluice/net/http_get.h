#pragma once
/// One-shot HTTP/1.1 requests to host:port on a new connection, bounded by
/// a timeout: for scrapes, probes and engine control (sleep, wake, faults)
/// of the control plane, not the data path. `host` is an IP address or a
/// name (resolved); with `tls`, the request goes over https.
#include <chrono>
#include <expected>
#include <string>

#include "sluice/net/asio.h"

namespace sluice::net {

class UpstreamTls;

struct HttpAnswer {
  int status = 0;
  std::string body;
};

/// The answer, whatever its status, or why there is none
/// ("connect: Connection refused", "timeout", "certificate verify failed:
/// certificate has expired"). A non-empty `body` is sent as application/json;
/// a non-empty `bearer` as `Authorization: Bearer <bearer>`.
asio::awaitable<std::expected<HttpAnswer, std::string>> http_request(http::verb verb, std::string host,
                                                                     std::uint16_t port, std::string target,
                                                                     std::string body,
                                                                     std::chrono::milliseconds timeout,
                                                                     UpstreamTls* tls = nullptr,
                                                                     std::string bearer = {});

/// The body of a 200 response, or why there is none ("status 404",
/// "connect: Connection refused", "timeout").
asio::awaitable<std::expected<std::string, std::string>> http_get(std::string host, std::uint16_t port,
                                                                  std::string target,
                                                                  std::chrono::milliseconds timeout,
                                                                  UpstreamTls* tls = nullptr);

}  // namespace sluice::net
