#pragma once
/// The admin listener: GET /metrics (Prometheus text), /healthz (the process
/// is up), /admin/instances (JSON), /readyz (the gateway can serve: every instance it waited for is
/// healthy and it is not shutting down), POST /admin/reload (reload the
/// config file). It knows nothing of the proxy: what it serves is handed in
/// as functions.
#include <expected>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "sluice/admin/admin_auth.h"
#include "sluice/config/config.h"
#include "sluice/net/asio.h"
#include "sluice/net/tls.h"

namespace sluice::admin {

using http_verb = net::http::verb;

/// What POST /admin/reload did.
struct ReloadResult {
  bool reloaded = false;
  std::vector<std::string> changes;  // when reloaded
  std::vector<std::string> errors;   // when not: config errors or needs-restart reasons
  std::string reason;                // when not: "invalid_config", "needs_restart", "starting"
};

/// What GET /readyz says: 200 {"status":"ready"} when the gateway has
/// started and every model it must serve has an instance that can take a
/// request; else 503 with "starting", or "not_ready" and the models that
/// cannot serve.
struct Readiness {
  bool started = false;
  std::vector<std::string> models_not_serving;
  bool ready() const { return started && models_not_serving.empty(); }
};
/// The status and JSON body of GET /readyz for `readiness`.
std::pair<int, std::string> readyz_reply(const Readiness& readiness);

/// A reply of the admin API: status, content type and body.
struct AdminReply {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
};

/// One admin API request, authenticated.
struct AdminRequest {
  const Principal& who;
  http_verb method;
  std::string_view path;   // without the query
  std::string_view query;  // after '?', undecoded
  std::string_view body;
};

struct AdminHandlers {
  /// The admin tokens in force (bootstrap + issued), checked on every
  /// route that needs a role. Unset: no token is valid.
  std::function<std::shared_ptr<const AdminTokens>()> tokens;
  /// /metrics needs a viewer token.
  bool protect_metrics = false;
  /// Tenants, keys, tokens, usage and audit (/admin/tenants…, /admin/keys…,
  /// /admin/tokens…, /admin/usage, /admin/audit). Unset: 404.
  std::function<AdminReply(const AdminRequest&)> state_api;
  std::function<std::string()> render_metrics;
  std::function<Readiness()> ready;
  /// True once the gateway is shutting down: /readyz answers 503
  /// {"status":"draining"} while the listener stays up for the grace period.
  std::function<bool()> draining;
  /// JSON for GET /admin/instances: every model's instances and their state.
  std::function<std::string()> instances_json;
  /// POST /admin/reload: 200 {"reloaded":true,"changes":[…]}, or 422
  /// {"reloaded":false,"reason":"invalid_config"|"needs_restart","errors":[…]}
  /// (503 with reason "starting" before the gateway is ready).
  /// Runs on the admin listener's thread. Unset: 404.
  std::function<ReloadResult()> reload;
  /// Every request under /admin/fleet (GET /admin/fleet, POST/DELETE
  /// /admin/fleet/faults, POST /admin/fleet/{drain,sleep,wake,move}):
  /// (method, path, body) → status and JSON body. Unset: 404.
  std::function<std::pair<int, std::string>(http_verb, std::string_view path, std::string_view body)> fleet;
};

/// The JSON body and status of a POST /admin/reload answer.
std::pair<int, std::string> reload_reply(const ReloadResult& result);

class AdminServer {
 public:
  AdminServer(net::asio::io_context& io, AdminHandlers handlers);
  /// Binds; with `tls` the listener serves https (each handshake uses the
  /// certificate `tls` holds then).
  std::expected<void, std::string> listen(const config::Endpoint& endpoint,
                                          std::shared_ptr<net::ServerTls> tls = nullptr);
  std::uint16_t port() const { return port_; }
  void start();
  void stop();

 private:
  net::asio::io_context& io_;
  AdminHandlers handlers_;
  std::optional<net::tcp::acceptor> acceptor_;
  std::uint16_t port_ = 0;
  std::shared_ptr<net::ServerTls> tls_;
};

}  // namespace sluice::admin
