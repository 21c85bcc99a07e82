#pragma once
/// Counters per route of the config's `routes`: requests matched, split by
/// target, mirrored (and mirrors dropped or failed), fault-injected aborts
/// and delays. Series are created on first use and never freed, so pointers
/// kept in a config snapshot stay valid across reloads.
/// Thread-safety: counters are atomics; lookups take a mutex (snapshot
/// building only).
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace sluice::obs {

struct RouteCounters {
  std::atomic<std::uint64_t> matched{0};
  std::atomic<std::uint64_t> mirrored{0};        // mirror copies sent
  std::atomic<std::uint64_t> mirror_dropped{0};  // picked for a mirror, but no instance had room, or it failed
  std::atomic<std::uint64_t> aborted{0};         // fault injection: answered with the abort status
  std::atomic<std::uint64_t> delayed{0};         // fault injection: delayed
};

class RouteMetrics {
 public:
  RouteCounters* route(const std::string& name);
  /// Requests the route's split sent to `target`.
  std::atomic<std::uint64_t>* split(const std::string& name, const std::string& target);
  /// sluice_route_{requests,split,mirrored,mirror_dropped,faults}_total.
  void render(std::string& out) const;

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::unique_ptr<RouteCounters>> routes_;
  std::map<std::pair<std::string, std::string>, std::unique_ptr<std::atomic<std::uint64_t>>> splits_;
};

}  // namespace sluice::obs
