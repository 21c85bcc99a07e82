// The fleet controller's admin API under /admin/fleet: fault injection and
// planned operations (fleet_controller.h).
#include "sluice/provider/fleet_controller.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <map>

#include "sluice/provider/unix_ms.h"
#include <spdlog/spdlog.h>

#include "sluice/core/error.h"
#include "sluice/fleet/placement.h"
#include "sluice/net/http_get.h"

namespace sluice::provider {

using namespace sluice::net;
using fleet::InstanceState;
using fleet::Role;
using Json = nlohmann::json;

namespace {

std::pair<int, std::string> error_reply(int status, core::ErrorCode code, std::string message,
                                        std::string param = {}) {
  return {status, core::to_openai_json({code, std::move(message), std::move(param)})};
}

}  // namespace

std::pair<int, std::string> FleetController::handle_admin(http::verb method, std::string_view path,
                                                          std::string_view body) {
  if (path == "/admin/fleet") {
    if (method != http::verb::get) return error_reply(405, core::ErrorCode::kMethodNotAllowed, "use GET for /admin/fleet");
    return {200, json()};
  }
  if (path == "/admin/fleet/faults") {
    if (method == http::verb::post) return inject_fault(body);
    if (method == http::verb::delete_) return clear_faults();
    return error_reply(405, core::ErrorCode::kMethodNotAllowed, "use POST or DELETE for /admin/fleet/faults");
  }
  for (std::string_view op : {"drain", "sleep", "wake", "move"}) {
    if (path == fmt::format("/admin/fleet/{}", op)) {
      if (method != http::verb::post) {
        return error_reply(405, core::ErrorCode::kMethodNotAllowed, fmt::format("use POST for {}", path));
      }
      return planned(op, body);
    }
  }
  return error_reply(404, core::ErrorCode::kNotFound, "no route for " + std::string(path));
}

namespace {

/// The JSON object of an admin body, or a 400 reply.
std::expected<Json, std::pair<int, std::string>> parse_object(std::string_view body) {
  Json j = Json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return std::unexpected(error_reply(400, core::ErrorCode::kInvalidRequest, "the body must be a JSON object"));
  }
  return j;
}

std::expected<std::string, std::pair<int, std::string>> string_field(const Json& j, const char* name) {
  const auto it = j.find(name);
  if (it == j.end() || !it->is_string() || it->get<std::string>().empty()) {
    return std::unexpected(
        error_reply(400, core::ErrorCode::kInvalidRequest, fmt::format("'{}' (a string) is required", name), name));
  }
  return it->get<std::string>();
}

}  // namespace

asio::awaitable<void> FleetController::send_engine_fault(std::string host, std::uint16_t port, http::verb verb,
                                                         std::string body) {
  auto answer = co_await http_request(verb, host, port, "/admin/faults", std::move(body), std::chrono::seconds(5));
  if (!answer || answer->status != 200) {
    spdlog::warn("fleet: engine fault at {}:{} not applied: {}", host, port,
                 answer ? fmt::format("status {} {}", answer->status, answer->body) : answer.error());
  }
}

std::pair<int, std::string> FleetController::inject_fault(std::string_view body) {
  auto j = parse_object(body);
  if (!j) return j.error();
  auto kind = string_field(*j, "kind");
  if (!kind) return kind.error();
  std::lock_guard lock(mu_);
  const auto now = core::steady_now();
  Json affected = Json::array();
  const auto mark = [&](Record& r) {
    r.fault_onset = now;
    r.fault_kind = *kind;
    affected.push_back(r.id);
  };
  static const std::map<std::string, std::string> kEngineFaults = {
      {"hang", R"({"hang":true})"}, {"error", R"({"error_rate":1.0,"error_status":500})"},
      {"gpu_fault", R"({"unhealthy":true})"}};
  if (*kind == "crash" || kEngineFaults.contains(*kind)) {
    auto id = string_field(*j, "instance");
    if (!id) return id.error();
    Record* r = find(*id);
    if (!r || !r->route || fleet::is_final(r->life.state()) || r->life.state() == InstanceState::kCold) {
      return error_reply(404, core::ErrorCode::kNotFound, fmt::format("no running instance {}", *id), "instance");
    }
    mark(*r);
    if (*kind == "crash") {
      provider_.kill(r->id);
    } else {
      asio::co_spawn(io_, send_engine_fault(r->route->host, r->route->port, http::verb::post, kEngineFaults.at(*kind)),
                     asio::detached);
    }
  } else if (*kind == "node_down" || *kind == "zone_down") {
    const bool node = *kind == "node_down";
    auto name = string_field(*j, node ? "node" : "zone");
    if (!name) return name.error();
    const bool known = std::ranges::any_of(desired_.inventory, [&](const fleet::GpuSlot& g) {
      return (node ? g.node : g.zone) == *name;
    });
    if (!known) {
      return error_reply(404, core::ErrorCode::kNotFound, fmt::format("no {} {}", node ? "node" : "zone", *name),
                         node ? "node" : "zone");
    }
    (node ? down_nodes_ : down_zones_).insert(*name);
    for (auto& r : records_) {
      if ((node ? node_of(*r) : zone_of(*r)) != *name || fleet::is_final(r->life.state())) continue;
      mark(*r);
      if (r->life.state() != InstanceState::kCold) provider_.kill(r->id);  // everything there dies at once
    }
  } else if (*kind == "corrupt_model") {
    auto model = string_field(*j, "model");
    if (!model) return model.error();
    if (!config_.find_model(*model)) {
      return error_reply(404, core::ErrorCode::kNotFound, fmt::format("no model {}", *model), "model");
    }
    int count = 1;
    if (auto it = j->find("count"); it != j->end()) {
      if (!it->is_number_integer() || it->get<int>() < 1) {
        return error_reply(400, core::ErrorCode::kInvalidRequest, "'count' must be a positive integer", "count");
      }
      count = it->get<int>();
    }
    corrupt_loads_[*model] += count;
  } else {
    return error_reply(400, core::ErrorCode::kInvalidRequest,
                       fmt::format("unknown fault kind \"{}\"; expected one of crash, hang, error, gpu_fault, "
                                   "node_down, zone_down, corrupt_model",
                                   *kind),
                       "kind");
  }
  spdlog::warn("fleet: fault injected: {}", std::string(body));
  return {200, Json{{"injected_at_ms", unix_ms(now)}, {"affected", affected}}.dump()};
}

std::pair<int, std::string> FleetController::clear_faults() {
  std::lock_guard lock(mu_);
  down_nodes_.clear();
  down_zones_.clear();
  zone_watch_.clear();
  crash_backoff_.clear();
  corrupt_loads_.clear();
  for (auto& r : records_) {
    r->fault_onset.reset();
    r->fault_kind.clear();
    if (r->route && !fleet::is_final(r->life.state()) && r->life.state() != InstanceState::kCold) {
      asio::co_spawn(io_, send_engine_fault(r->route->host, r->route->port, http::verb::delete_, {}), asio::detached);
    }
  }
  return {200, R"({"cleared":true})"};
}

std::pair<int, std::string> FleetController::planned(std::string_view op, std::string_view body) {
  auto j = parse_object(body);
  if (!j) return j.error();
  std::lock_guard lock(mu_);
  const auto now = core::steady_now();
  if (op == "sleep" || op == "wake") {
    // A whole model: its serving minimum goes to 0 (sleep) or back (wake);
    // the reconcile loop does the rest, and demand may still wake it.
    auto model = string_field(*j, "model");
    if (!model) return model.error();
    const auto it = std::ranges::find_if(desired_.models, [&](const auto& p) { return p.name == *model; });
    const config::Model* cfg = config_.find_model(*model);
    if (it == desired_.models.end() || !cfg || !fleet::managed(*cfg)) {
      return error_reply(404, core::ErrorCode::kNotFound, fmt::format("no managed model {}", *model), "model");
    }
    const std::size_t m = static_cast<std::size_t>(it - desired_.models.begin());
    if (op == "wake") {
      it->hot_min = cfg->serving_minimum();
    } else {
      it->hot_min = 0;
      for (auto& r : records_) {
        if (r->model == m && r->role == Role::kServing && r->life.state() == InstanceState::kHot && !r->busy) {
          execute({.kind = fleet::ActionKind::kSleep, .model = m, .instance = r->id, .reason = "admin: sleep model"}, now);
        }
      }
    }
    asio::post(io_, [this] { reconcile(); });
    return {200, Json{{"model", *model}, {"serving_minimum", it->hot_min}}.dump()};
  }
  auto id = string_field(*j, "instance");
  if (!id) return id.error();
  Record* r = find(*id);
  if (!r || r->life.state() != InstanceState::kHot || r->busy) {
    return error_reply(409, core::ErrorCode::kInvalidRequest, fmt::format("{} is not a hot, idle-for-action instance", *id),
                       "instance");
  }
  if (op == "drain") {
    execute({.kind = fleet::ActionKind::kStop, .model = r->model, .instance = r->id, .reason = "admin: drain"}, now);
    asio::post(io_, [this] { reconcile(); });
    return {200, Json{{"instance", *id}, {"state", "draining"}}.dump()};
  }
  // move: a new instance on the node, then the old one drains and stops.
  auto node = string_field(*j, "node");
  if (!node) return node.error();
  const fleet::Observed o = observe(now);
  auto views = fleet::gpu_views(desired_, o);
  for (auto& g : views) g.down = g.down || g.node != *node;
  const fleet::ModelPolicy& p = desired_.models[r->model];
  auto placed = fleet::place(views, {.model = p.name, .gb_per_gpu = p.gb_per_gpu, .gpus = p.gpus}, desired_.overcommit);
  if (!placed) {
    return error_reply(409, core::ErrorCode::kInvalidRequest, fmt::format("cannot move {} to {}: {}", *id, *node, placed.error()),
                       "node");
  }
  const std::string old_id = r->id;
  const Role role = r->role;
  execute({.kind = fleet::ActionKind::kStart, .model = r->model, .role = role, .gpus = placed->gpus,
           .reason = "admin: move " + old_id + " to " + *node},
          now);
  const std::string new_id = records_.back()->id;
  records_.back()->replaces = old_id;  // drained and stopped once the new one serves (bring_up)
  return {200, Json{{"instance", old_id}, {"replacement", new_id}, {"node", *node}}.dump()};
}

}  // namespace sluice::provider
