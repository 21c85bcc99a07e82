/// The `listen` and `server` sections: listeners, HTTP limits, timeouts, and
/// the default retry policy and time limits (retry_section.cpp).
#include <fmt/format.h>

#include <limits>

#include "sluice/config/sections.h"
#include "sluice/config/tls_files.h"

namespace sluice::config {
namespace {

constexpr std::int64_t kMaxThreads = 1024;
constexpr std::int64_t kMaxUint32 = std::numeric_limits<std::uint32_t>::max();

/// `listen.<name>`: {cert_file, key_file} (both required, relative to the
/// config's directory, checked now), or `false` for plain HTTP (to keep one
/// listener plain when `tls` covers both). Nothing when absent or invalid.
std::optional<TlsConfig> read_tls(Reader& reader, const MapReader& listen, std::string_view name) {
  if (!listen.has(name)) return std::nullopt;
  const YAML::Node node = listen.get(name);
  if (node.IsScalar()) {
    auto on = reader.boolean(node, listen.key_of(name), listen.location_of_child(name));
    if (on && *on) {
      reader.fail(listen.location_of_child(name), listen.key_of(name),
                  "expected {cert_file, key_file} or false (plain HTTP), got true");
    }
    return on && !*on ? std::optional(TlsConfig{}) : std::nullopt;
  }
  MapReader t = listen.child(name, {"cert_file", "key_file"});
  if (!t.is_map()) return std::nullopt;
  const bool has_cert = t.require("cert_file", "the certificate chain, PEM");
  const bool has_key = t.require("key_file", "the private key of the certificate, PEM");
  if (!has_cert || !has_key) return std::nullopt;
  auto cert = t.string("cert_file");
  auto key = t.string("key_file");
  if (!cert || !key) return std::nullopt;
  TlsConfig tls{resolve_config_path(reader.file(), *cert), resolve_config_path(reader.file(), *key)};
  if (auto problem = check_cert_and_key(tls.cert_file, tls.key_file)) {
    const std::string_view field = problem->in_key ? "key_file" : "cert_file";
    reader.fail(t.location_of_child(field), t.key_of(field), problem->message);
    return std::nullopt;
  }
  return tls;
}

}  // namespace

void read_listen(Reader& reader, const MapReader& root, ListenConfig& listen) {
  if (!root.has("listen")) return;
  MapReader m(reader, root.get("listen"), "listen", root.location_of_child("listen"),
              {"api", "admin", "tls", "api_tls", "admin_tls"});
  set_if(listen.api, m.endpoint("api"));
  set_if(listen.admin, m.endpoint("admin"));
  // `tls` is both listeners' certificate; api_tls and admin_tls override it.
  if (auto both = read_tls(reader, m, "tls")) listen.api_tls = listen.admin_tls = *both;
  if (auto api = read_tls(reader, m, "api_tls")) listen.api_tls = *api;
  if (auto admin = read_tls(reader, m, "admin_tls")) listen.admin_tls = *admin;
}

void read_server(Reader& reader, const MapReader& root, ServerConfig& server) {
  if (!root.has("server")) return;
  MapReader m(reader, root.get("server"), "server", root.location_of_child("server"),
              {"threads", "max_body_bytes", "max_header_bytes", "max_header_count", "request_read_timeout",
               "upstream_connect_timeout", "upstream_timeout", "shutdown_grace", "access_log",
               "cache_salt_secret", "max_queue_wait", "retry", "timeouts", "ready_models", "max_tenant_series"});
  set_if(server.threads, m.integer("threads", 0, kMaxThreads));
  set_if(server.max_body_bytes, m.byte_size("max_body_bytes"));
  if (auto bytes = m.byte_size("max_header_bytes")) {
    if (*bytes > static_cast<std::uint64_t>(kMaxUint32)) {
      reader.fail(m.location_of_child("max_header_bytes"), m.key_of("max_header_bytes"),
                  fmt::format("expected a size of at most {} bytes, got {}", kMaxUint32, *bytes));
    } else {
      server.max_header_bytes = static_cast<std::uint32_t>(*bytes);
    }
  }
  set_if(server.max_header_count, m.integer("max_header_count", 1, kMaxUint32));
  set_if(server.request_read_timeout, m.duration("request_read_timeout"));
  set_if(server.upstream_connect_timeout, m.duration("upstream_connect_timeout"));
  set_if(server.timeouts.total, m.duration("upstream_timeout"));
  set_if(server.shutdown_grace, m.duration("shutdown_grace"));
  set_if(server.max_queue_wait, m.duration("max_queue_wait"));
  set_if(server.access_log, m.string("access_log", /*allow_empty=*/true));
  set_if(server.max_tenant_series, m.integer("max_tenant_series", 0, 1'000'000));
  if (m.has("ready_models")) {
    const YAML::Node list = m.get("ready_models");
    const std::string key = m.key_of("ready_models");
    if (reader.expect_list(list, key, m.location_of_child("ready_models"))) {
      for (std::size_t i = 0; i < list.size(); ++i) {
        const std::string item = fmt::format("{}[{}]", key, i);
        // A failed entry keeps its slot (empty) so indices match the file.
        server.ready_models.push_back(reader.string(list[i], item, reader.where(item), false).value_or(""));
      }
    }
  }
  read_retry(reader, m, server.retry);
  read_timeouts(m, server.timeouts);
  if (m.has("upstream_timeout") && reader.where("server.timeouts.total").line != 0) {
    reader.fail(reader.where("server.timeouts.total"), "server.timeouts.total",
                fmt::format("conflicts with {}: upstream_timeout is the older name of timeouts.total; give one",
                            reader.place("server.upstream_timeout")));
  }

  if (m.has("cache_salt_secret")) {
    const YAML::Node secret = m.get("cache_salt_secret");
    const std::string key = m.key_of("cache_salt_secret");
    const Location at = m.location_of_child("cache_salt_secret");
    if (secret.IsMap()) {
      if (auto env = reader.env(secret, key, at)) server.cache_salt_secret = env->value;
    } else if (secret.IsScalar()) {
      server.cache_salt_secret = secret.Scalar();
    } else {
      reader.fail(at, key, fmt::format("expected a string or {{env: NAME}}, got {}", describe(secret)));
    }
  }
}

}  // namespace sluice::config
