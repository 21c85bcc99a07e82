// `cluster` (several replicas sharing limits, fairness and one fleet leader
// through Redis).
#include <fmt/format.h>

#include "sluice/config/sections.h"
#include "sluice/config/value_text.h"

namespace sluice::config {
namespace {

/// redis://[:password@]host[:port][/db] with a port from 1 to 65535 and a numeric db.
bool valid_redis_host_port(std::string_view url) {
  std::string_view rest = url.substr(std::string_view("redis://").size());
  if (const auto at = rest.rfind('@'); at != std::string_view::npos) rest = rest.substr(at + 1);
  std::string_view db;
  if (const auto slash = rest.find('/'); slash != std::string_view::npos) {
    db = rest.substr(slash + 1);
    rest = rest.substr(0, slash);
  }
  const auto digits = [](std::string_view s) {
    return !s.empty() && s.size() <= 5 && s.find_first_not_of("0123456789") == std::string_view::npos;
  };
  if (!db.empty() && !digits(db)) return false;
  if (const auto colon = rest.rfind(':'); colon != std::string_view::npos) {
    const std::string_view port = rest.substr(colon + 1);
    if (!digits(port) || std::stoi(std::string(port)) < 1 || std::stoi(std::string(port)) > 65535) return false;
    rest = rest.substr(0, colon);
  }
  return !rest.empty();
}

}  // namespace

void read_cluster(Reader& reader, const MapReader& root, ClusterConfig& cluster) {
  if (!root.has("cluster")) return;
  const MapReader m = root.child("cluster", {"redis", "replica_id", "redis_timeout", "fallback", "sync_interval",
                                             "lease_percent", "replica_ttl", "leader_lease",
                                             "fairness_sync_interval", "fairness_slack"});
  if (!m.is_map()) return;
  if (auto url = m.string("redis")) {
    if (!url->starts_with("redis://") || !valid_redis_host_port(*url)) {
      reader.fail(m.location_of_child("redis"), m.key_of("redis"),
                  fmt::format("expected redis://[:password@]host:port[/db], got \"{}\"", *url));
    } else {
      cluster.redis = *url;
    }
  }
  if (auto id = m.string("replica_id")) cluster.replica_id = *id;
  set_if(cluster.redis_timeout, m.duration("redis_timeout"));
  if (auto fallback = m.string("fallback")) {
    if (*fallback == "local") cluster.fallback = ClusterFallback::kLocal;
    else if (*fallback == "closed") cluster.fallback = ClusterFallback::kClosed;
    else
      reader.fail(m.location_of_child("fallback"), m.key_of("fallback"),
                  fmt::format("expected local or closed, got \"{}\"", *fallback));
  }
  set_if(cluster.sync_interval, m.duration("sync_interval"));
  if (auto percent = m.percent("lease_percent", true)) cluster.lease_fraction = *percent / 100.0;
  set_if(cluster.replica_ttl, m.duration("replica_ttl"));
  set_if(cluster.fairness_sync_interval, m.duration("fairness_sync_interval"));
  if (m.has("fairness_slack")) {
    const YAML::Node node = m.get("fairness_slack");
    double slack = -1;
    if (node.IsScalar()) {
      try {
        slack = node.as<double>();
      } catch (const YAML::Exception&) {
        slack = -1;
      }
    }
    if (slack < 0) {
      reader.fail(m.location_of_child("fairness_slack"), m.key_of("fairness_slack"),
                  fmt::format("expected a number of tokens >= 0, got {}", describe(node)));
    } else {
      cluster.fairness_slack = slack;
    }
  }
  set_if(cluster.leader_lease, m.duration("leader_lease"));
  if (cluster.leader_lease < 3 * cluster.sync_interval)
    reader.fail(m.location_of_child("leader_lease"), m.key_of("leader_lease"),
                "leader_lease must be at least three sync_intervals (the leader renews a third of the way through it)");
}

}  // namespace sluice::config
