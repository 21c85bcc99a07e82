#include "sluice/proxy/listener_tls.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace sluice::proxy {

namespace {

std::expected<std::shared_ptr<net::ServerTls>, std::string> load_one(std::string_view key,
                                                                     const config::TlsConfig& tls) {
  if (!tls.enabled()) return nullptr;
  auto loaded = net::ServerTls::load(tls.cert_file, tls.key_file);
  if (!loaded) return std::unexpected(fmt::format("{}: {}", key, loaded.error()));
  spdlog::info("{}: serving https with {} ({})", key, tls.cert_file, net::describe_certificate(*(*loaded)->current()));
  return std::move(*loaded);
}

void reload_one(std::string_view key, net::ServerTls* server, const config::TlsConfig& tls) {
  if (!server || !tls.enabled()) return;
  if (auto r = server->reload(tls.cert_file, tls.key_file); !r) {
    spdlog::error("{}: certificate not reloaded, the running one stays: {}", key, r.error());
    return;
  }
  spdlog::info("{}: certificate reloaded from {} ({})", key, tls.cert_file,
               net::describe_certificate(*server->current()));
}

}  // namespace

std::expected<ListenerTls, std::string> ListenerTls::load(const config::ListenConfig& listen) {
  ListenerTls out;
  auto api = load_one("listen.api_tls", listen.api_tls);
  if (!api) return std::unexpected(api.error());
  auto admin = load_one("listen.admin_tls", listen.admin_tls);
  if (!admin) return std::unexpected(admin.error());
  out.api = std::move(*api);
  out.admin = std::move(*admin);
  return out;
}

void ListenerTls::reload(const config::ListenConfig& listen) const {
  reload_one("listen.api_tls", api.get(), listen.api_tls);
  reload_one("listen.admin_tls", admin.get(), listen.admin_tls);
}

}  // namespace sluice::proxy
