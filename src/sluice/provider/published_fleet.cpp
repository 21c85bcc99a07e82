#include "sluice/provider/published_fleet.h"

#include <nlohmann/json.hpp>

namespace sluice::provider {

using Json = nlohmann::json;

std::string to_json(const PublishedFleet& fleet) {
  Json instances = Json::array();
  for (const FleetMember& m : fleet.instances) {
    instances.push_back(Json{{"id", m.id},
                             {"model", m.model},
                             {"ordinal", m.ordinal},
                             {"state", m.state},
                             {"role", m.role},
                             {"gpus", m.gpus},
                             {"host", m.host},
                             {"port", m.port},
                             {"pid", m.pid},
                             {"in_rotation", m.in_rotation},
                             {"healthy", m.healthy},
                             {"ejected_ms", m.ejected_ms}});
  }
  return Json{{"epoch", fleet.epoch}, {"leader", fleet.leader}, {"instances", std::move(instances)}}.dump();
}

std::expected<PublishedFleet, std::string> parse_published_fleet(std::string_view text) {
  const Json j = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object() || !j.contains("instances") || !j["instances"].is_array()) {
    return std::unexpected(std::string("not a published fleet (an object with an instances array)"));
  }
  PublishedFleet fleet;
  fleet.epoch = j.value("epoch", std::int64_t{0});
  fleet.leader = j.value("leader", std::string());
  for (const Json& i : j["instances"]) {
    if (!i.is_object() || !i.contains("id") || !i["id"].is_string() || !i.contains("port") ||
        !i["port"].is_number_unsigned() || i["port"].get<std::uint64_t>() > 65535) {
      return std::unexpected(std::string("an instance without a string id and a port"));
    }
    FleetMember m;
    m.id = i["id"].get<std::string>();
    m.model = i.value("model", std::string());
    m.ordinal = i.value("ordinal", 0);
    m.state = i.value("state", std::string("hot"));
    m.role = i.value("role", std::string("serving"));
    if (i.contains("gpus") && i["gpus"].is_array()) {
      for (const Json& g : i["gpus"]) {
        if (g.is_number_unsigned()) m.gpus.push_back(g.get<std::size_t>());
      }
    }
    m.host = i.value("host", std::string("127.0.0.1"));
    m.port = static_cast<std::uint16_t>(i["port"].get<std::uint64_t>());
    m.pid = i.value("pid", -1);
    m.in_rotation = i.value("in_rotation", false);
    m.healthy = i.value("healthy", true);
    m.ejected_ms = i.value("ejected_ms", std::int64_t{0});
    fleet.instances.push_back(std::move(m));
  }
  return fleet;
}

bool RemoteFleet::apply(const PublishedFleet& fleet, core::TimePoint now) {
  std::lock_guard lock(mu_);
  const std::int64_t now_ns = now.time_since_epoch().count();
  bool changed = !has_table_;
  std::map<std::string, Entry, std::less<>> next;
  for (const FleetMember& m : fleet.instances) {
    if (!m.in_rotation) continue;
    Entry entry{m, nullptr};
    if (auto it = entries_.find(m.id);
        it != entries_.end() && it->second.member.host == m.host && it->second.member.port == m.port) {
      entry.instance = it->second.instance;
      if (it->second.member.healthy != m.healthy) entry.instance->check_healthy.store(m.healthy);
    } else {
      changed = true;
      auto inst = std::make_shared<balance::Instance>();
      inst->serial = balance::next_instance_serial();
      inst->id = core::InstanceId(m.id);
      inst->host = m.host;
      inst->port = m.port;
      inst->check_healthy.store(m.healthy);
      entry.instance = std::move(inst);
    }
    if (m.ejected_ms > 0) {
      const std::int64_t until = now_ns + m.ejected_ms * 1'000'000;
      if (entry.instance->ejected_until_ns.load() < until) entry.instance->ejected_until_ns.store(until);
    }
    next.emplace(m.id, std::move(entry));
  }
  for (auto& [id, old] : entries_) {
    if (!next.contains(id) || next.find(id)->second.instance != old.instance) {
      old.instance->available.store(false);  // left the rotation: requests on it finish there
      changed = true;
    }
  }
  entries_ = std::move(next);
  last_ = fleet;
  has_table_ = true;
  return changed;
}

void RemoteFleet::seed(const PublishedFleet& fleet,
                       const std::map<std::string, std::shared_ptr<balance::Instance>>& instances) {
  std::lock_guard lock(mu_);
  entries_.clear();
  for (const FleetMember& m : fleet.instances) {
    auto it = instances.find(m.id);
    if (!m.in_rotation || it == instances.end() || !it->second) continue;
    entries_.emplace(m.id, Entry{m, it->second});
  }
  last_ = fleet;
  has_table_ = true;
}

std::vector<std::shared_ptr<balance::Instance>> RemoteFleet::serving(std::string_view model) const {
  std::lock_guard lock(mu_);
  std::vector<std::shared_ptr<balance::Instance>> out;
  for (const auto& [id, e] : entries_) {
    if (e.member.model == model) out.push_back(e.instance);
  }
  return out;
}

std::shared_ptr<balance::Instance> RemoteFleet::instance(std::string_view id) const {
  std::lock_guard lock(mu_);
  auto it = entries_.find(id);
  return it == entries_.end() ? nullptr : it->second.instance;
}

PublishedFleet RemoteFleet::last() const {
  std::lock_guard lock(mu_);
  return last_;
}

bool RemoteFleet::has_table() const {
  std::lock_guard lock(mu_);
  return has_table_;
}

}  // namespace sluice::provider
