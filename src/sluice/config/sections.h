#pragma once
/// The steps of loading (internal to the config area). Each reads one
/// top-level section into `config`, recording errors in the Reader; none
/// stops at the first error. `validate` then checks the whole: duplicates,
/// references between sections, conflicting listeners.
#include "sluice/config/config.h"
#include "sluice/config/yaml_reader.h"

namespace sluice::config {

void read_listen(Reader& reader, const MapReader& root, ListenConfig& listen);
void read_server(Reader& reader, const MapReader& root, ServerConfig& server);
void read_tenants(Reader& reader, const MapReader& root, std::vector<Tenant>& tenants);
void read_models(Reader& reader, const MapReader& root, std::vector<Model>& models);
/// Routes' retry and timeouts start from `server`'s (keys a route leaves out
/// keep the server's values).
void read_routes(Reader& reader, const MapReader& root, const ServerConfig& server, std::vector<Route>& routes);
void validate(Reader& reader, const Config& config);
/// A tenant's `budgets` list and a model's `pricing` (budget_section.cpp).
void read_budgets(Reader& reader, const MapReader& parent, std::vector<Budget>& out);
void read_pricing(Reader& reader, const MapReader& model, Model& out);
/// `store` and `admin` (state_section.cpp).
void read_store(Reader& reader, const MapReader& root, StoreConfig& store);
void read_admin(Reader& reader, const MapReader& root, AdminConfig& admin);
void read_cluster(Reader& reader, const MapReader& root, ClusterConfig& cluster);
/// A secret given as "sha256:<hex>" or {env: NAME}, hashed (tenant_section.cpp).
std::optional<ApiKey> read_api_key(Reader& reader, const YAML::Node& node, const std::string& key, Location at);

/// The GPU pool (fleet_section.cpp): the top-level `fleet`; a model's `gpu`,
/// `recovery`, `demand`, `dedicated_to`; a tenant's `gpu_quota`; and the
/// checks across them, run by validate.
void read_fleet(Reader& reader, const MapReader& root, FleetConfig& fleet);
void read_model_fleet(Reader& reader, const MapReader& m, Model& model);
void read_gpu_quota(const MapReader& tenant, GpuQuota& out);
void check_fleet(Reader& reader, const Config& config);

/// Records `unknown <what> "x" (did you mean "y"?)`, or with the list of
/// configured ones, at `key` when `name` is not among `names`. An empty name
/// failed to load and was reported already, unless `check_empty`.
void check_known(Reader& reader, const std::string& key, std::string_view what, const std::string& name,
                 const std::vector<std::string_view>& names, bool check_empty = false);

/// How two durations of one mapping must relate.
enum class DurationOrder {
  kShorter,  // `low` must be shorter than `high`: "low (x) must be shorter than high (y)"
  kAtMost,   // `high` must be at least `low`: "high (y) must be at least low (x)"
};

/// Reads the durations `low_key` and `high_key` of `m` into `low` and `high`
/// (each keeps its value when absent) and, when either was given, checks
/// their order against the values in effect. The error stands at the key
/// the message starts with when the file gives it, else at the other one.
void read_duration_pair(Reader& reader, const MapReader& m, std::string_view low_key, core::Duration& low,
                        std::string_view high_key, core::Duration& high, DurationOrder order);

// Readers of sub-mappings. Each reads its key (`health_check`, `retry`, …)
// under `parent`, doing nothing when it is absent, on top of the values
// already in `out`.

/// health_check, outlier_detection, circuit_breaker (resilience_section.cpp).
void read_health_check(Reader& reader, const MapReader& parent, HealthCheckConfig& out);
void read_outlier_detection(Reader& reader, const MapReader& parent, OutlierDetectionConfig& out);
void read_circuit_breaker(const MapReader& parent, CircuitBreakerConfig& out);
/// `retry` and `timeouts` of server and routes (retry_section.cpp).
void read_retry(Reader& reader, const MapReader& parent, RetryPolicy& out);
void read_timeouts(const MapReader& parent, TimeoutConfig& out);
/// A model's `balance`, and a hash key (`hash_on`, `sticky`) written as
/// "tenant", "user" or {header: NAME} (balance_section.cpp).
void read_balance(Reader& reader, const MapReader& parent, BalanceConfig& out);
std::optional<HashKeyConfig> read_hash_key(Reader& reader, const MapReader& parent, std::string_view name);

}  // namespace sluice::config
