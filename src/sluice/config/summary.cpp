/// `check-config` output: what was loaded, one line per item, no secrets.
#include <fmt/format.h>

#include <algorithm>

#include "sluice/config/loader.h"
#include "sluice/config/value_text.h"
#include "sluice/core/duration_text.h"

namespace sluice::config {
namespace {

std::string join_strings(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += ", ";
    out += item;
  }
  return out;
}

std::string limits_text(const TenantLimits& l) {
  std::string out;
  auto add = [&out](std::string part) { out += (out.empty() ? "" : " ") + part; };
  if (l.rpm) add(fmt::format("rpm={}", *l.rpm));
  if (l.tpm) add(fmt::format("tpm={}", *l.tpm));
  if (l.max_concurrency) add(fmt::format("max_concurrency={}", *l.max_concurrency));
  if (l.max_queue) add(fmt::format("max_queue={}", *l.max_queue));
  if (l.max_queue_wait) add(fmt::format("max_queue_wait={}", core::format_duration(*l.max_queue_wait)));
  if (l.reserved_concurrency) add(fmt::format("reserved_concurrency={}", *l.reserved_concurrency));
  if (l.concurrency_cap) add(fmt::format("concurrency_cap={}", *l.concurrency_cap));
  if (l.budget) add(fmt::format("budget={}", *l.budget));
  return out.empty() ? "none" : out;
}

std::string tenant_line(const Tenant& t) {
  const bool all = std::find(t.models.begin(), t.models.end(), "*") != t.models.end();
  std::string line = fmt::format("tenant {} \"{}\": {} API key{}, models {}, weight {}, priority {} (max {}), limits {}",
                                 t.id, t.display_name, t.api_keys.size(), t.api_keys.size() == 1 ? "" : "s",
                                 all ? std::string("* (all)") : join_strings(t.models), t.weight,
                                 to_string(t.priority), to_string(t.max_priority), limits_text(t.limits));
  for (const auto& m : t.model_limits) line += fmt::format("; on {}: {}", m.model, limits_text(m.limits));
  return line;
}

std::string model_line(const Model& m) {
  std::string where;
  if (m.source == ModelSource::kSim) {
    where = fmt::format("sim {} x {} ({} GPU{} each, speedup {}, seed {})", m.sim.instances, m.sim.profile,
                        m.sim.gpus_per_instance, m.sim.gpus_per_instance == 1 ? "" : "s", m.sim.speedup,
                        m.sim.seed);
  } else {
    std::vector<std::string> urls;
    for (const auto& e : m.static_source.endpoints) {
      urls.push_back(e.weight == 1 && !e.backup ? e.url
                                                : fmt::format("{} (weight {}{})", e.url, e.weight, e.backup ? ", backup" : ""));
    }
    where = fmt::format("static {}", join_strings(urls));
  }
  const SchedulerConfig& q = m.scheduler;
  return fmt::format("model {}: {}; upstream model {}, cache_salt {}, default_max_tokens {}; scheduler {} "
                     "(w_input {}, w_output {}, batch_promote_after {}, max_in_flight_per_instance {})",
                     m.name, where, m.upstream_model, m.cache_salt ? "on" : "off", m.default_max_tokens,
                     to_string(q.policy), q.w_input, q.w_output, core::format_duration(q.batch_promote_after),
                     q.max_in_flight_per_instance == 0 ? std::string("auto")
                                                       : std::to_string(q.max_in_flight_per_instance));
}

}  // namespace

std::string summarize(const Config& config) {
  const ServerConfig& s = config.server;
  std::string out = fmt::format("config {}: {} tenant{}, {} model{}\n", config.source_path, config.tenants.size(),
                                config.tenants.size() == 1 ? "" : "s", config.models.size(),
                                config.models.size() == 1 ? "" : "s");
  out += fmt::format("listen: api {}, admin {}\n", format_endpoint(config.listen.api),
                     format_endpoint(config.listen.admin));
  out += fmt::format(
      "server: threads {}, max_body_bytes {}, request_read_timeout {}, upstream_timeout {}, access_log {}, "
      "cache_salt_secret {}\n",
      s.threads == 0 ? std::string("auto") : std::to_string(s.threads), s.max_body_bytes,
      core::format_duration(s.request_read_timeout), core::format_duration(s.timeouts.total),
      s.access_log == "-" ? std::string("stdout") : s.access_log.empty() ? std::string("off") : s.access_log,
      s.cache_salt_secret.empty() ? "random per start" : "set");
  for (const auto& tenant : config.tenants) out += tenant_line(tenant) + "\n";
  for (const auto& model : config.models) out += model_line(model) + "\n";
  return out;
}

}  // namespace sluice::config
