#pragma once
/// The drill's calls to a gateway's admin listener: the fleet report, fault
/// injection and clearing, readiness. Blocking, one short-lived connection
/// per call, each bounded by a timeout: control-plane calls a few times a
/// second, never on a data path.
/// Thread-safety: none needed; each call has its own io_context.
#include <chrono>
#include <cstdint>
#include <expected>
#include <string>
#include <string_view>

#include "sluice/drill/fault_answer.h"
#include "sluice/drill/fleet_view.h"
#include "sluice/net/http_get.h"

namespace sluice::drill {

using HttpReply = net::HttpAnswer;

/// One HTTP/1.1 request to host:port (an address or a name); the reply of
/// any status, or why there is none ("connect: Connection refused", "timeout").
/// A non-empty `bearer` is sent as the admin token.
std::expected<HttpReply, std::string> http_call(const std::string& host, std::uint16_t port, std::string_view method,
                                                std::string_view target, std::string_view body,
                                                std::chrono::milliseconds timeout, std::string_view bearer = {});

/// The admin token the drill sends: $SLUICE_ADMIN_TOKEN ("" when unset).
std::string admin_token_from_env();

class AdminClient {
 public:
  /// Admin calls carry `token` (an operator's: faults need that role).
  AdminClient(std::string host, std::uint16_t port, std::chrono::milliseconds timeout = std::chrono::seconds(5),
              std::string token = admin_token_from_env())
      : host_(std::move(host)), port_(port), timeout_(timeout), token_(std::move(token)) {}

  /// GET /admin/fleet. A 404 says the gateway has no fleet controller.
  std::expected<FleetView, std::string> fleet() const;
  /// POST /admin/fleet/faults with `body`; the gateway's refusal as an error.
  std::expected<InjectedFault, std::string> inject(const std::string& body) const;
  /// DELETE /admin/fleet/faults.
  std::expected<void, std::string> clear_faults() const;
  /// GET /readyz answered 200.
  bool ready() const;

  std::string address() const;

 private:
  std::string host_;
  std::uint16_t port_;
  std::chrono::milliseconds timeout_;
  std::string token_;
};

}  // namespace sluice::drill
