#pragma once
/// The store's tenants in the gateway's config: enabled tenants with their
/// live keys become config::Tenant entries beside the YAML ones, so one
/// immutable snapshot holds both and the request path never reads the
/// database.
#include "sluice/config/config.h"
#include "sluice/store/store.h"

namespace sluice::store {

/// Appends the store's enabled tenants (origin "store") and their keys
/// that are neither revoked nor expired at `now_ms` to `config.tenants`.
/// A tenant id declared both in the YAML and in the store is an error: the
/// message names it and says where to remove it.
Result<void> add_store_tenants(Store& store, config::Config& config, std::int64_t now_ms);

}  // namespace sluice::store
