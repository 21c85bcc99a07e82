#include "sluice/drill/admin_client.h"

#include <fmt/format.h>

#include <cstdlib>

#include "sluice/loadgen/connection_pool.h"
#include "sluice/net/asio.h"
#include "sluice/net/http_get.h"

namespace sluice::drill {

namespace {

using namespace sluice::net;

/// Resolves `host` (a name is allowed: --admin may give one), then one request.
asio::awaitable<std::expected<HttpReply, std::string>> exchange(std::string host, std::uint16_t port, http::verb method,
                                                                std::string target, std::string body,
                                                                std::chrono::milliseconds timeout, std::string bearer) {
  auto endpoints = co_await loadgen::resolve_endpoints(host, port);
  if (!endpoints) co_return std::unexpected(endpoints.error());
  std::string address = endpoints->front().address().to_string();
  co_return co_await net::http_request(method, std::move(address), port, std::move(target), std::move(body), timeout,
                                         nullptr, std::move(bearer));
}

}  // namespace

std::expected<HttpReply, std::string> http_call(const std::string& host, std::uint16_t port, std::string_view method,
                                                std::string_view target, std::string_view body,
                                                std::chrono::milliseconds timeout, std::string_view bearer) {
  const http::verb verb = http::string_to_verb(method);
  if (verb == http::verb::unknown) return std::unexpected(fmt::format("unknown HTTP method {}", method));
  asio::io_context io(1);
  std::expected<HttpReply, std::string> result = std::unexpected(std::string("no answer"));
  asio::co_spawn(io, exchange(host, port, verb, std::string(target), std::string(body), timeout, std::string(bearer)),
                 [&result](std::exception_ptr e, std::expected<HttpReply, std::string> reply) {
                   if (e) std::rethrow_exception(e);
                   result = std::move(reply);
                 });
  io.run();
  return result;
}

std::string admin_token_from_env() {
  const char* token = std::getenv("SLUICE_ADMIN_TOKEN");
  return token ? token : "";
}

std::string AdminClient::address() const { return fmt::format("http://{}:{}", host_, port_); }

std::expected<FleetView, std::string> AdminClient::fleet() const {
  auto reply = http_call(host_, port_, "GET", "/admin/fleet", "", timeout_, token_);
  if (!reply) return std::unexpected(fmt::format("GET {}/admin/fleet: {}", address(), reply.error()));
  if (reply->status == 404) {
    return std::unexpected(fmt::format("GET {}/admin/fleet: 404 — this gateway has no fleet controller", address()));
  }
  if (reply->status != 200) {
    return std::unexpected(fmt::format("GET {}/admin/fleet: status {}: {}", address(), reply->status,
                                       error_message_of(reply->body)));
  }
  auto view = parse_fleet_view(reply->body);
  if (!view) return std::unexpected(fmt::format("GET {}/admin/fleet: {}", address(), view.error()));
  return view;
}

std::expected<InjectedFault, std::string> AdminClient::inject(const std::string& body) const {
  auto reply = http_call(host_, port_, "POST", "/admin/fleet/faults", body, timeout_, token_);
  if (!reply) return std::unexpected(fmt::format("POST {}/admin/fleet/faults: {}", address(), reply.error()));
  if (reply->status != 200) {
    return std::unexpected(fmt::format("the gateway refused the fault {} (status {}): {}", body, reply->status,
                                       error_message_of(reply->body)));
  }
  auto fault = parse_injected_fault(reply->body);
  if (!fault) return std::unexpected(fmt::format("POST {}/admin/fleet/faults: {}", address(), fault.error()));
  return fault;
}

std::expected<void, std::string> AdminClient::clear_faults() const {
  auto reply = http_call(host_, port_, "DELETE", "/admin/fleet/faults", "", timeout_, token_);
  if (!reply) return std::unexpected(fmt::format("DELETE {}/admin/fleet/faults: {}", address(), reply.error()));
  if (reply->status != 200) {
    return std::unexpected(fmt::format("DELETE {}/admin/fleet/faults: status {}: {}", address(), reply->status,
                                       error_message_of(reply->body)));
  }
  return {};
}

bool AdminClient::ready() const {
  auto reply = http_call(host_, port_, "GET", "/readyz", "", timeout_);
  return reply && reply->status == 200;
}

}  // namespace sluice::drill
