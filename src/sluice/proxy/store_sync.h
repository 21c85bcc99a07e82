#pragma once
/// Keeps the gateway's snapshot in step with the store: the YAML config
/// plus the store's tenants and keys, republished when the admin API
/// changes them (at once) or when another replica did (the store's state
/// version, polled every `store.poll_interval`). A store that cannot be
/// reached leaves the last snapshot serving.
///
/// Thread-safety: publish() and the poll run on the control thread;
/// set_yaml() from the reload path (the same thread).
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "sluice/config/config.h"
#include "sluice/net/asio.h"
#include "sluice/proxy/gateway_context.h"
#include "sluice/proxy/reload.h"
#include "sluice/store/store.h"

namespace sluice::proxy {

class StoreSync {
 public:
  StoreSync(GatewayContext& ctx, store::Store& store, config::Config yaml, std::string salt_secret,
            RoutesBuilder build_routes, net::asio::io_context& control);

  /// The YAML config completed with the store's tenants (start, reloads).
  std::expected<void, std::string> complete(config::Config& yaml) const;
  /// A reloaded YAML config became current.
  void set_yaml(config::Config yaml) { yaml_ = std::move(yaml); }
  /// Rebuilds and publishes the snapshot now; false (logged) when the
  /// store could not be read or the result was refused.
  bool publish();
  /// Loads what the usage ledger already holds for every budget's current
  /// period into the running snapshot's budget ledger (at start, and after
  /// each republish, for tenants and keys that are new to it).
  void seed_budgets();
  /// Polls the state version; `on_tokens` also runs when it moved.
  void start_polling(std::function<void()> on_change);
  /// Several replicas: every poll also re-seeds the budgets from the shared
  /// ledger, so each replica sees what the others spent (up to one commit
  /// interval plus one poll interval late).
  void seed_budgets_on_every_poll() { seed_every_poll_ = true; }
  void stop();

 private:
  void schedule();

  GatewayContext& ctx_;
  store::Store& store_;
  config::Config yaml_;
  std::string secret_;
  RoutesBuilder build_routes_;
  net::asio::steady_timer timer_;
  std::function<void()> on_change_;
  std::optional<std::int64_t> seen_version_;
  bool store_down_ = false;
  bool seed_every_poll_ = false;
};

}  // namespace sluice::proxy
