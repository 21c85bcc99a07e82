#pragma once
/// What `GET /admin/fleet` reports, as the drill reads it: the instances
/// (state, temperature, role, placement), each model's serving and standby
/// counts against its policy, and the failover log with its timestamps
/// (Unix epoch milliseconds; null until it happens). Pure: parsing only.
#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::drill {

struct FleetInstance {
  std::string id;           // "llama-3.1-8b-instruct/0"
  std::string model;
  std::string state;        // hot, warm, cold, starting, loading, draining, stopped, failed
  std::string temperature;  // hot, warm, cold, none
  std::string role;         // serving, standby
  std::string node;
  std::string zone;
  int port = 0;  // 0: none reported
  int pid = 0;   // the engine's process on the gateway's host; 0: none (not running, or not a local process)
};

struct StandbyCounts {
  int hot = 0;
  int warm = 0;
  int cold = 0;
  bool operator==(const StandbyCounts&) const = default;
};

struct FleetModel {
  std::string name;
  int serving = 0;
  int hot_min = 0;
  int hot_max = 0;
  StandbyCounts standby;
  StandbyCounts standby_policy;
  /// Serving at hot_min, standbys at policy, nothing starting, loading or draining.
  bool settled = false;
};

struct Failover {
  std::int64_t seq = 0;
  std::string model;
  std::string instance;       // the failed instance
  std::string cause;          // process_exit, health_check, ejected, node_down, zone_down, load_failed
  std::string replacement;    // "" until chosen
  std::string promoted_from;  // hot, warm, cold, new; "" until chosen
  std::int64_t detected_at_ms = 0;
  /// The replacement served its first successful request.
  std::optional<std::int64_t> recovered_at_ms;
  /// The model's standby counts were back at policy.
  std::optional<std::int64_t> restored_at_ms;
};

struct FleetView {
  std::vector<FleetInstance> instances;
  std::vector<FleetModel> models;
  std::vector<Failover> failovers;

  const FleetModel* model(std::string_view name) const;
  const FleetInstance* instance(std::string_view id) const;
  /// The highest failover seq so far (0 when none): later ones are new.
  std::int64_t last_failover_seq() const;
};

/// Parses the JSON body. Unknown fields are ignored (the API may grow);
/// missing required fields (instance id/model/state, model name, failover
/// seq/model/instance/detected_at_ms) or wrong types are errors naming the
/// field, e.g. "failovers[2].detected_at_ms: expected an integer".
std::expected<FleetView, std::string> parse_fleet_view(std::string_view json);

}  // namespace sluice::drill
