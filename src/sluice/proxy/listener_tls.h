#pragma once
/// The certificates of the gateway's two listeners (API and admin), loaded at
/// start and re-read on every reload (SIGHUP, POST /admin/reload), so that a
/// renewed certificate is served to new connections without a restart.
/// Thread-safety: reload() from the control thread only; the listeners read
/// the ServerTls objects from any thread.
#include <expected>
#include <memory>
#include <string>

#include "sluice/config/config.h"
#include "sluice/net/tls.h"

namespace sluice::proxy {

struct ListenerTls {
  std::shared_ptr<net::ServerTls> api;    // null: plain HTTP
  std::shared_ptr<net::ServerTls> admin;  // null: plain HTTP

  /// Loads the certificates `listen` names; the first that fails says why.
  static std::expected<ListenerTls, std::string> load(const config::ListenConfig& listen);

  /// Re-reads each TLS listener's files as `listen` (the config in effect
  /// after the reload) names them. A certificate that loads replaces the old
  /// one for new handshakes (logged with its serial and expiry); one that
  /// does not keeps the old one and is logged as an error. Turning TLS on or
  /// off needs a restart (config::needs_restart refuses it).
  void reload(const config::ListenConfig& listen) const;
};

}  // namespace sluice::proxy
