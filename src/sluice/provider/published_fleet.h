#pragma once
/// The fleet as the leader replica publishes it for the others (through
/// Redis, cluster/fleet_leader.h): every running engine instance with its
/// address, state, GPUs and process id, and the leader's view of its health
/// and ejection. Followers route to the instances in rotation; a new
/// leader adopts the instances by their addresses and pids.
///
/// JSON: {"epoch":7,"leader":"gw-a","instances":[{"id":"small/0","model":"small",
///   "ordinal":0,"state":"hot","role":"serving","gpus":[0],"host":"127.0.0.1",
///   "port":41234,"pid":1234,"in_rotation":true,"healthy":true,"ejected_ms":0}]}
#include <cstdint>
#include <expected>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "sluice/balance/routing_table.h"
#include "sluice/core/clock.h"

namespace sluice::provider {

/// One engine instance of the leader's fleet.
struct FleetMember {
  std::string id;     // "small/0"
  std::string model;  // "small"
  int ordinal = 0;
  std::string state = "hot";     // fleet::InstanceState's name
  std::string role = "serving";  // "serving" or "standby"
  std::vector<std::size_t> gpus;  // indices into the fleet's GPU inventory (the same config everywhere)
  std::string host;
  std::uint16_t port = 0;
  int pid = -1;
  bool in_rotation = false;  // serving now: followers route to it
  bool healthy = true;       // the leader's active checks
  std::int64_t ejected_ms = 0;  // how much longer the leader has it ejected

  bool operator==(const FleetMember&) const = default;
};

struct PublishedFleet {
  std::int64_t epoch = 0;
  std::string leader;
  std::vector<FleetMember> instances;
};

std::string to_json(const PublishedFleet& fleet);
std::expected<PublishedFleet, std::string> parse_published_fleet(std::string_view json);

/// A follower's copy of the leader's fleet: the instances in rotation as
/// balance::Instance objects that keep their identity from one table to the
/// next (same id, host and port: the same object, so its counters, breaker
/// and in-flight slots carry over).
///
/// Thread-safety: every method may be called from any thread (one mutex).
class RemoteFleet {
 public:
  /// Takes a table in; true when the set of instances in rotation changed
  /// (the routing table must be rebuilt). The leader's ejections are applied
  /// (an ejection never shortens this replica's own); its health verdict is
  /// applied when it changes.
  bool apply(const PublishedFleet& fleet, core::TimePoint now);
  /// Starts from `members` with the given instance objects (a leader that
  /// steps down keeps routing to its own instances until the new leader
  /// publishes).
  void seed(const PublishedFleet& fleet, const std::map<std::string, std::shared_ptr<balance::Instance>>& instances);
  /// The instances of `model` in rotation.
  std::vector<std::shared_ptr<balance::Instance>> serving(std::string_view model) const;
  /// The instance object of member `id` (a new leader adopts it), or null.
  std::shared_ptr<balance::Instance> instance(std::string_view id) const;
  /// The last table taken in.
  PublishedFleet last() const;
  bool has_table() const;

 private:
  struct Entry {
    FleetMember member;
    std::shared_ptr<balance::Instance> instance;
  };
  mutable std::mutex mu_;
  PublishedFleet last_;
  bool has_table_ = false;
  std::map<std::string, Entry, std::less<>> entries_;  // in rotation, by id
};

}  // namespace sluice::provider
