/// `check-config` output: what was loaded, one line per item, no secrets.
#include <fmt/format.h>

#include <algorithm>

#include "sluice/config/budget_text.h"
#include "sluice/config/loader.h"
#include "sluice/config/suggest.h"
#include "sluice/config/value_text.h"
#include "sluice/core/duration_text.h"

namespace sluice::config {
namespace {

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
  return out.empty() ? "none" : out;
}

std::string tenant_line(const Tenant& t) {
  const bool all = std::find(t.models.begin(), t.models.end(), "*") != t.models.end();
  std::string line = fmt::format("tenant {} \"{}\": {} API key{}, models {}, weight {}, priority {} (max {}), limits {}",
                                 t.id, t.display_name, t.api_keys.size(), t.api_keys.size() == 1 ? "" : "s",
                                 all ? std::string("* (all)") : join(t.models), t.weight,
                                 to_string(t.priority), to_string(t.max_priority), limits_text(t.limits));
  for (const auto& m : t.model_limits) line += fmt::format("; on {}: {}", m.model, limits_text(m.limits));
  if (!t.budgets.empty()) line += "; budgets " + budgets_text(t.budgets);
  return line;
}

std::string hash_key_text(const HashKeyConfig& key) {
  switch (key.source) {
    case HashKeyConfig::Source::kHeader: return "header " + key.header;
    case HashKeyConfig::Source::kTenant: return "tenant";
    case HashKeyConfig::Source::kUser: return "user";
    case HashKeyConfig::Source::kNone: break;
  }
  return "none";
}

/// "" for the default policy, else "; balance …".
std::string balance_text(const BalanceConfig& b) {
  switch (b.policy) {
    case BalancePolicy::kLeastRequest: return "";
    case BalancePolicy::kConsistentHash:
      return fmt::format("; balance consistent_hash on {} ({}, load_factor {})", hash_key_text(b.hash_on),
                         to_string(b.hash_table), b.load_factor);
    case BalancePolicy::kPrefixAffinity:
      return fmt::format("; balance prefix_affinity on {} prompt tokens ({}, load_factor {})", b.prefix_tokens,
                         to_string(b.hash_table), b.load_factor);
    default: return fmt::format("; balance {}", to_string(b.policy));
  }
}

std::string model_line(const Model& m) {
  std::string where;
  if (m.source == ModelSource::kSim) {
    where = fmt::format("sim {} x {} ({} GPU{} each, speedup {}, seed {}{})", m.sim.instances, m.sim.profile,
                        m.gpu.count, m.gpu.count == 1 ? "" : "s", m.sim.speedup,
                        m.sim.seed,
                        m.sim.backup_instances == 0 ? std::string()
                                                    : fmt::format(", {} backup", m.sim.backup_instances));
  } else if (m.source == ModelSource::kProcess) {
    std::string command;
    for (const auto& arg : m.process.command) command += (command.empty() ? "" : " ") + arg;
    where = fmt::format("process {} x `{}` ({} GPU{} each)", m.process.instances, command, m.gpu.count,
                        m.gpu.count == 1 ? "" : "s");
  } else {
    std::vector<std::string> urls;
    for (const auto& e : m.static_source.endpoints) {
      urls.push_back(e.weight == 1 && !e.backup ? e.url
                                                : fmt::format("{} (weight {}{})", e.url, e.weight, e.backup ? ", backup" : ""));
    }
    where = fmt::format("static {}", join(urls));
  }
  const SchedulerConfig& q = m.scheduler;
  return fmt::format("model {}: {}; upstream model {}, cache_salt {}, default_max_tokens {}; scheduler {} "
                     "(w_input {}, w_output {}, batch_promote_after {}, max_in_flight_per_instance {}){}",
                     m.name, where, m.upstream_model, m.cache_salt ? "on" : "off", m.default_max_tokens,
                     to_string(q.policy), q.w_input, q.w_output, core::format_duration(q.batch_promote_after),
                     q.max_in_flight_per_instance == 0 ? std::string("auto")
                                                       : std::to_string(q.max_in_flight_per_instance),
                     balance_text(m.balance)) +
         (pricing_text(m) == "free" ? std::string() : "; pricing " + pricing_text(m));
}

std::string limit_text(core::Duration d) { return d == core::Duration::zero() ? "none" : core::format_duration(d); }

/// `route NAME: MATCH -> TARGETS[; extras]`, leaving out what is not set.
std::string route_line(const Route& r) {
  std::vector<std::string> match;
  if (r.match.model) match.push_back("model=" + *r.match.model);
  for (const auto& h : r.match.headers) {
    const std::string_view op = h.kind == MatchKind::kExact ? "=" : h.kind == MatchKind::kPrefix ? "^=" : "~=";
    match.push_back(fmt::format("{}{}{}", h.name, op, h.value));
  }
  if (!r.match.tenants.empty()) match.push_back("tenants=" + join(r.match.tenants, ","));
  std::vector<std::string> targets;
  for (const auto& t : r.split) {
    targets.push_back(r.split.size() == 1 ? t.model : fmt::format("{}={}", t.model, t.weight));
  }
  std::string line = fmt::format("route {}: {} -> {}", r.name, match.empty() ? "everything" : join(match, " "),
                                 join(targets, " "));
  if (r.sticky.source != HashKeyConfig::Source::kNone) line += "; sticky on " + hash_key_text(r.sticky);
  if (r.upstream_model) line += "; upstream model " + *r.upstream_model;
  if (r.mirror) line += fmt::format("; mirror {}% to {}", r.mirror->percent, r.mirror->model);
  if (r.fault.abort_percent > 0) {
    line += fmt::format("; abort {}% with {}", r.fault.abort_percent, r.fault.abort_status);
  }
  if (r.fault.delay_percent > 0) {
    line += fmt::format("; delay {}% by {}", r.fault.delay_percent, core::format_duration(r.fault.delay));
  }
  if (r.timeouts) {
    const TimeoutConfig& t = *r.timeouts;
    line += fmt::format("; timeouts total {}, per_try {}, first_token {}, stream_idle {}", limit_text(t.total),
                        limit_text(t.per_try), limit_text(t.first_token), limit_text(t.stream_idle));
  }
  if (r.retry) line += fmt::format("; retries {}", r.retry->retries);
  return line;
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
  for (const auto& route : config.routes) out += route_line(route) + "\n";
  return out;
}

}  // namespace sluice::config
