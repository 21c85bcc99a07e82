// `store` (where durable state lives) and `admin` (who may use the admin
// listener).
#include <fmt/format.h>

#include "sluice/config/sections.h"

namespace sluice::config {

void read_store(Reader& reader, const MapReader& root, StoreConfig& store) {
  if (!root.has("store")) return;
  const MapReader m = root.child("store", {"url", "commit_interval", "usage_buffer", "poll_interval", "usage_ledger"});
  if (!m.is_map()) return;
  if (auto url = m.string("url")) {
    const bool known = url->starts_with("sqlite:") || url->starts_with("postgres://") ||
                       url->starts_with("postgresql://");
    if (!known || *url == "sqlite:") {
      reader.fail(m.location_of_child("url"), m.key_of("url"),
                  fmt::format("expected sqlite:PATH, sqlite::memory: or postgresql://user@host:port/db, got \"{}\"",
                              *url));
    } else {
      store.url = *url;
    }
  }
  set_if(store.commit_interval, m.duration("commit_interval"));
  set_if(store.usage_buffer, m.integer("usage_buffer", 1, 100'000'000));
  set_if(store.poll_interval, m.duration("poll_interval"));
  set_if(store.usage_ledger, m.boolean("usage_ledger"));
}

void read_admin(Reader& reader, const MapReader& root, AdminConfig& admin) {
  if (!root.has("admin")) return;
  const MapReader m = root.child("admin", {"bootstrap_token", "protect_metrics"});
  if (!m.is_map()) return;
  if (m.has("bootstrap_token")) {
    if (auto token = read_api_key(reader, m.get("bootstrap_token"), m.key_of("bootstrap_token"),
                                  m.location_of_child("bootstrap_token"))) {
      admin.bootstrap_token_sha256 = token->sha256_hex;
      admin.bootstrap_token_source = token->source;
    }
  }
  set_if(admin.protect_metrics, m.boolean("protect_metrics"));
}

}  // namespace sluice::config
