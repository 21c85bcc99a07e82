#pragma once
/// Hot reload of the gateway config (SIGHUP, POST /admin/reload): the new
/// config is loaded and validated; when it is valid and every change can be
/// applied live, it replaces the running one, else nothing changes.
///
/// What a reload switches: one new ConfigSnapshot (tenants, keys, limits,
/// routes, server limits and timeouts, published in one pointer swap), each
/// model pool's tenant shares and outlier-detection settings (before the
/// swap), then — when a model changed — a rebuilt routing table (static
/// endpoints, room limits; a second swap right after). Requests in flight
/// keep the snapshot, quota ledger and instance they started with, so none
/// is dropped. What needs a restart instead: config::needs_restart.
///
/// Thread-safety: any thread; reloads are serialised (GatewayContext::reloads.mu).
#include <expected>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "sluice/balance/routing_table.h"
#include "sluice/config/config.h"
#include "sluice/proxy/gateway_context.h"

namespace sluice::proxy {

struct ReloadOutcome {
  bool reloaded = false;
  /// When reloaded: config::ConfigDiff::lines (empty: nothing changed).
  std::vector<std::string> changes;
  /// When not: the config's errors ("file:line:col: key: message") or the
  /// changes that need a restart.
  std::vector<std::string> errors;
  /// When not: "invalid_config", "needs_restart", or "starting" (the
  /// gateway is not ready yet).
  std::string reason;
};

/// Builds the routing table of a new config from the current one (keeping
/// the instances that stay): provider::build_routing_table in `serve`.
using RoutesBuilder = std::function<std::shared_ptr<const balance::RoutingTable>(
    const config::Config& next, const balance::RoutingTable& previous)>;

/// Applies a loaded, valid config to the running gateway, or refuses it
/// (needs_restart) and changes nothing. `salt_secret`: the secret the
/// running snapshot's cache salts derive from.
ReloadOutcome apply_config(GatewayContext& ctx, config::Config next, std::string_view salt_secret,
                           const RoutesBuilder& build_routes);

/// Completes a freshly loaded config before it applies (the store's
/// tenants are added to the YAML's); an error refuses the reload.
using ConfigCompleter = std::function<std::expected<void, std::string>(config::Config&)>;

/// Loads `path`, completes it, and applies it; logs the changes (info) or
/// the errors (error) and counts the result in ctx.reloads.
ReloadOutcome reload_config_file(GatewayContext& ctx, const std::string& path, std::string_view salt_secret,
                                 const RoutesBuilder& build_routes, const ConfigCompleter& complete = {});

/// sluice_config_reloads_total{result="ok|failed"} and
/// sluice_config_last_reload_success_timestamp_seconds.
void render_reload_metrics(const GatewayContext& ctx, std::string& out);

}  // namespace sluice::proxy
