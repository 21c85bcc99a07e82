#include "sluice/config/diff.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <array>
#include <set>

#include "sluice/config/budget_text.h"
#include "sluice/config/suggest.h"
#include "sluice/config/value_text.h"
#include "sluice/core/duration_text.h"

namespace sluice::config {
namespace {

// ------------------------------------------------------------ values ----
// Every compared value is rendered as text, and two values differ when
// their texts do: the texts of compound values list every field.

std::string text(const std::string& v) { return v.empty() ? "\"\"" : v; }
std::string text(bool v) { return v ? "true" : "false"; }
std::string text(double v) { return fmt::format("{}", v); }
std::string text(core::Duration v) { return v == core::Duration::zero() ? "0s" : core::format_duration(v); }
std::string text(Priority v) { return std::string(to_string(v)); }
std::string text(SchedPolicy v) { return std::string(to_string(v)); }
std::string text(ModelSource v) { return std::string(to_string(v)); }
std::string text(BalancePolicy v) { return std::string(to_string(v)); }
std::string text(HashTableKind v) { return std::string(to_string(v)); }
template <typename T>
  requires std::is_integral_v<T>
std::string text(T v) {
  return fmt::format("{}", v);
}
template <typename T>
std::string text(const std::optional<T>& v) {
  return v ? text(*v) : std::string("unset");
}

template <typename T>
std::string list_text(const std::vector<T>& items) {
  std::vector<std::string> parts;
  for (const auto& item : items) parts.push_back(text(item));
  return "[" + join(parts) + "]";
}

std::string retry_on_text(std::uint32_t bits) {
  static constexpr std::array<std::pair<std::uint32_t, std::string_view>, 6> kNames = {{
      {kRetryConnectFailure, "connect_failure"},
      {kRetryRefused, "refused"},
      {kRetryReset, "reset"},
      {kRetryGatewayError, "gateway_error"},
      {kRetry5xx, "5xx"},
      {kRetryStatusCodes, "retriable_status_codes"},
  }};
  std::vector<std::string> names;
  for (const auto& [bit, name] : kNames) {
    if (bits & bit) names.emplace_back(name);
  }
  return "[" + join(names) + "]";
}

std::string hash_key_text(const HashKeyConfig& k) {
  switch (k.source) {
    case HashKeyConfig::Source::kNone: return "none";
    case HashKeyConfig::Source::kHeader: return "header " + k.header;
    case HashKeyConfig::Source::kTenant: return "tenant";
    case HashKeyConfig::Source::kUser: return "user";
  }
  return "none";
}

std::string match_text(const RouteMatch& m) {
  std::vector<std::string> parts;
  if (m.model) parts.push_back("model " + *m.model);
  for (const auto& h : m.headers) {
    parts.push_back(fmt::format("header {} {} {}", h.name, to_string(h.kind), quote(h.value)));
  }
  if (!m.tenants.empty()) parts.push_back("tenants " + list_text(m.tenants));
  return parts.empty() ? "everything" : join(parts);
}

std::string split_text(const std::vector<SplitTarget>& split) {
  std::vector<std::string> parts;
  for (const auto& t : split) parts.push_back(fmt::format("{}:{}", t.model, t.weight));
  return join(parts);
}

std::string mirror_text(const std::optional<MirrorConfig>& m) {
  return m ? fmt::format("{} {}%", m->model, m->percent) : std::string("unset");
}

std::string endpoint_text(const StaticEndpoint& e) {
  std::string out = e.url;
  if (e.weight != 1) out += fmt::format(" weight {}", e.weight);
  if (e.backup) out += " backup";
  return out;
}

// ------------------------------------------------------------- lines ----

/// Collects "<head><name> <old> -> <new>" lines for the fields that differ.
class Lines {
 public:
  Lines(std::vector<std::string>& out, std::string head) : out_(out), head_(std::move(head)) {}

  /// Compares the texts of one field.
  void text_field(std::string_view name, const std::string& a, const std::string& b) {
    if (a != b) add(fmt::format("{} {} -> {}", name, a, b));
  }
  template <typename T>
  void field(std::string_view name, const T& a, const T& b) {
    text_field(name, text(a), text(b));
  }
  /// A change described in words.
  void add(const std::string& what) {
    out_.push_back(head_ + what);
    ++count_;
  }
  std::size_t count() const { return count_; }

 private:
  std::vector<std::string>& out_;
  std::string head_;
  std::size_t count_ = 0;
};

void diff_retry(Lines& l, const std::string& p, const RetryPolicy& a, const RetryPolicy& b) {
  l.field(p + "retries", a.retries, b.retries);
  l.text_field(p + "retry_on", retry_on_text(a.retry_on), retry_on_text(b.retry_on));
  l.text_field(p + "retriable_status_codes", list_text(a.retriable_status_codes), list_text(b.retriable_status_codes));
  l.field(p + "backoff_base", a.backoff_base, b.backoff_base);
  l.field(p + "backoff_max", a.backoff_max, b.backoff_max);
  l.field(p + "budget_percent", a.budget_percent, b.budget_percent);
  l.field(p + "min_retry_concurrency", a.min_retry_concurrency, b.min_retry_concurrency);
}

void diff_timeouts(Lines& l, const std::string& p, const TimeoutConfig& a, const TimeoutConfig& b) {
  l.field(p + "total", a.total, b.total);
  l.field(p + "per_try", a.per_try, b.per_try);
  l.field(p + "first_token", a.first_token, b.first_token);
  l.field(p + "stream_idle", a.stream_idle, b.stream_idle);
}

void diff_limits(Lines& l, const std::string& p, const TenantLimits& a, const TenantLimits& b) {
  l.field(p + "rpm", a.rpm, b.rpm);
  l.field(p + "tpm", a.tpm, b.tpm);
  l.field(p + "max_concurrency", a.max_concurrency, b.max_concurrency);
  l.field(p + "max_queue", a.max_queue, b.max_queue);
  l.field(p + "max_queue_wait", a.max_queue_wait, b.max_queue_wait);
  l.field(p + "reserved_concurrency", a.reserved_concurrency, b.reserved_concurrency);
  l.field(p + "concurrency_cap", a.concurrency_cap, b.concurrency_cap);
}

// ------------------------------------------------------------ server ----

/// "off", or the certificate and key files (a reload re-reads them).
std::string tls_text(const TlsConfig& tls) {
  return tls.enabled() ? fmt::format("{{cert_file: {}, key_file: {}}}", tls.cert_file, tls.key_file) : "off";
}

void diff_server(std::vector<std::string>& lines, std::vector<std::string>& changed, const Config& a,
                 const Config& b) {
  Lines l(lines, "");
  const auto key = [&](std::string_view name, auto&& compare) {
    const std::size_t before = l.count();
    compare();
    if (l.count() > before) changed.emplace_back(name);
  };
  key("listen.api", [&] { l.text_field("listen.api", format_endpoint(a.listen.api), format_endpoint(b.listen.api)); });
  key("listen.admin",
      [&] { l.text_field("listen.admin", format_endpoint(a.listen.admin), format_endpoint(b.listen.admin)); });
  key("listen.api_tls", [&] { l.text_field("listen.api_tls", tls_text(a.listen.api_tls), tls_text(b.listen.api_tls)); });
  key("listen.admin_tls",
      [&] { l.text_field("listen.admin_tls", tls_text(a.listen.admin_tls), tls_text(b.listen.admin_tls)); });
  const ServerConfig& s = a.server;
  const ServerConfig& t = b.server;
  key("server.threads", [&] { l.field("server.threads", s.threads, t.threads); });
  key("server.max_body_bytes", [&] { l.field("server.max_body_bytes", s.max_body_bytes, t.max_body_bytes); });
  key("server.max_header_bytes", [&] { l.field("server.max_header_bytes", s.max_header_bytes, t.max_header_bytes); });
  key("server.max_header_count", [&] { l.field("server.max_header_count", s.max_header_count, t.max_header_count); });
  key("server.request_read_timeout",
      [&] { l.field("server.request_read_timeout", s.request_read_timeout, t.request_read_timeout); });
  key("server.upstream_connect_timeout",
      [&] { l.field("server.upstream_connect_timeout", s.upstream_connect_timeout, t.upstream_connect_timeout); });
  key("server.shutdown_grace", [&] { l.field("server.shutdown_grace", s.shutdown_grace, t.shutdown_grace); });
  key("server.access_log", [&] { l.field("server.access_log", s.access_log, t.access_log); });
  key("server.cache_salt_secret", [&] {
    if (s.cache_salt_secret != t.cache_salt_secret) l.add("server.cache_salt_secret changed");
  });
  key("server.max_queue_wait", [&] { l.field("server.max_queue_wait", s.max_queue_wait, t.max_queue_wait); });
  key("server.ready_models", [&] {
    const auto list = [](const std::vector<std::string>& v) { return v.empty() ? std::string("every model") : fmt::format("{}", fmt::join(v, ", ")); };
    l.text_field("server.ready_models", list(s.ready_models), list(t.ready_models));
  });
  key("server.retry", [&] { diff_retry(l, "server.retry.", s.retry, t.retry); });
  key("server.timeouts", [&] { diff_timeouts(l, "server.timeouts.", s.timeouts, t.timeouts); });
}

// ----------------------------------------------------------- tenants ----

void diff_tenant(Lines& l, const Tenant& a, const Tenant& b) {
  l.field("display_name", a.display_name, b.display_name);
  std::set<std::string> old_keys, new_keys;
  for (const auto& k : a.api_keys) old_keys.insert(k.sha256_hex);
  for (const auto& k : b.api_keys) new_keys.insert(k.sha256_hex);
  if (old_keys != new_keys) {
    std::size_t added = 0, removed = 0;
    for (const auto& k : new_keys) added += old_keys.contains(k) ? 0 : 1;
    for (const auto& k : old_keys) removed += new_keys.contains(k) ? 0 : 1;
    std::vector<std::string> parts;
    if (added) parts.push_back(fmt::format("{} added", added));
    if (removed) parts.push_back(fmt::format("{} removed", removed));
    l.add(fmt::format("api_keys {} -> {} key{} ({})", old_keys.size(), new_keys.size(),
                      new_keys.size() == 1 ? "" : "s", join(parts)));
  }
  l.text_field("models", list_text(a.models), list_text(b.models));
  l.field("weight", a.weight, b.weight);
  l.field("priority", a.priority, b.priority);
  l.field("max_priority", a.max_priority, b.max_priority);
  diff_limits(l, "limits.", a.limits, b.limits);
  std::set<std::string> models;
  for (const auto& m : a.model_limits) models.insert(m.model);
  for (const auto& m : b.model_limits) models.insert(m.model);
  for (const auto& model : models) {
    const TenantLimits* old_limits = a.limits_for(model);
    const TenantLimits* new_limits = b.limits_for(model);
    const std::string p = "model_limits." + model;
    if (!old_limits) l.add(p + " added");
    else if (!new_limits) l.add(p + " removed");
    else diff_limits(l, p + ".", *old_limits, *new_limits);
  }
  l.text_field("budgets", budgets_text(a.budgets), budgets_text(b.budgets));
  // Keys issued through the admin API may carry budgets of their own.
  for (const auto& nk : b.api_keys) {
    if (nk.id.empty()) continue;
    for (const auto& ok : a.api_keys) {
      if (ok.id == nk.id) l.text_field("api_key " + nk.id + " budgets", budgets_text(ok.budgets), budgets_text(nk.budgets));
    }
  }
}

// ------------------------------------------------------------ models ----

void diff_model(Lines& l, const Model& a, const Model& b) {
  l.field("source", a.source, b.source);
  if (a.source == ModelSource::kSim && b.source == ModelSource::kSim) {
    l.field("sim.instances", a.sim.instances, b.sim.instances);
    l.field("sim.profile", a.sim.profile, b.sim.profile);
    l.field("sim.speedup", a.sim.speedup, b.sim.speedup);
    l.field("sim.seed", a.sim.seed, b.sim.seed);
    l.field("sim.backup_instances", a.sim.backup_instances, b.sim.backup_instances);
  }
  if (a.source == ModelSource::kStatic && b.source == ModelSource::kStatic) {
    std::vector<std::string> old_eps, new_eps;
    for (const auto& e : a.static_source.endpoints) old_eps.push_back(endpoint_text(e));
    for (const auto& e : b.static_source.endpoints) new_eps.push_back(endpoint_text(e));
    if (old_eps != new_eps) {
      std::vector<std::string> parts;
      for (const auto& e : new_eps) {
        if (std::find(old_eps.begin(), old_eps.end(), e) == old_eps.end()) parts.push_back("+ " + e);
      }
      for (const auto& e : old_eps) {
        if (std::find(new_eps.begin(), new_eps.end(), e) == new_eps.end()) parts.push_back("- " + e);
      }
      if (parts.empty()) parts.push_back("reordered");
      l.add("static endpoints " + join(parts));
    }
    l.field("static.ca_file", a.static_source.ca_file, b.static_source.ca_file);
    l.field("static.verify", a.static_source.verify, b.static_source.verify);
  }
  l.field("upstream_model", a.upstream_model, b.upstream_model);
  l.field("cache_salt", a.cache_salt, b.cache_salt);
  l.field("default_max_tokens", a.default_max_tokens, b.default_max_tokens);
  l.field("max_model_len", a.max_model_len, b.max_model_len);
  l.text_field("pricing", pricing_text(a), pricing_text(b));

  const SchedulerConfig& s = a.scheduler;
  const SchedulerConfig& t = b.scheduler;
  l.field("scheduler.policy", s.policy, t.policy);
  l.field("scheduler.w_input", s.w_input, t.w_input);
  l.field("scheduler.w_output", s.w_output, t.w_output);
  l.field("scheduler.batch_promote_after", s.batch_promote_after, t.batch_promote_after);
  l.field("scheduler.max_in_flight_per_instance", s.max_in_flight_per_instance, t.max_in_flight_per_instance);
  l.field("scheduler.max_engine_waiting", s.max_engine_waiting, t.max_engine_waiting);
  l.field("scheduler.max_kv_usage", s.max_kv_usage, t.max_kv_usage);
  l.field("scheduler.engine_metrics_interval", s.engine_metrics_interval, t.engine_metrics_interval);

  l.field("balance.policy", a.balance.policy, b.balance.policy);
  l.text_field("balance.hash_on", hash_key_text(a.balance.hash_on), hash_key_text(b.balance.hash_on));
  l.field("balance.hash_table", a.balance.hash_table, b.balance.hash_table);
  l.field("balance.load_factor", a.balance.load_factor, b.balance.load_factor);
  l.field("balance.prefix_tokens", a.balance.prefix_tokens, b.balance.prefix_tokens);

  const HealthCheckConfig& h = a.health_check;
  const HealthCheckConfig& i = b.health_check;
  l.field("health_check.enabled", h.enabled, i.enabled);
  l.field("health_check.path", h.path, i.path);
  l.field("health_check.interval", h.interval, i.interval);
  l.field("health_check.timeout", h.timeout, i.timeout);
  l.field("health_check.unhealthy_threshold", h.unhealthy_threshold, i.unhealthy_threshold);
  l.field("health_check.healthy_threshold", h.healthy_threshold, i.healthy_threshold);
  l.field("health_check.jitter_percent", h.jitter_percent, i.jitter_percent);

  const OutlierDetectionConfig& o = a.outlier_detection;
  const OutlierDetectionConfig& q = b.outlier_detection;
  l.field("outlier_detection.enabled", o.enabled, q.enabled);
  l.field("outlier_detection.consecutive_5xx", o.consecutive_5xx, q.consecutive_5xx);
  l.field("outlier_detection.consecutive_gateway_failure", o.consecutive_gateway_failure,
          q.consecutive_gateway_failure);
  l.field("outlier_detection.interval", o.interval, q.interval);
  l.field("outlier_detection.base_ejection_time", o.base_ejection_time, q.base_ejection_time);
  l.field("outlier_detection.max_ejection_time", o.max_ejection_time, q.max_ejection_time);
  l.field("outlier_detection.max_ejection_percent", o.max_ejection_percent, q.max_ejection_percent);
  l.field("outlier_detection.enforce_failure_percentage", o.enforce_failure_percentage,
          q.enforce_failure_percentage);
  l.field("outlier_detection.failure_percentage_threshold", o.failure_percentage_threshold,
          q.failure_percentage_threshold);
  l.field("outlier_detection.failure_percentage_minimum_hosts", o.failure_percentage_minimum_hosts,
          q.failure_percentage_minimum_hosts);
  l.field("outlier_detection.failure_percentage_request_volume", o.failure_percentage_request_volume,
          q.failure_percentage_request_volume);
  l.field("outlier_detection.panic_threshold_percent", o.panic_threshold_percent, q.panic_threshold_percent);
  l.field("outlier_detection.stall", o.stall, q.stall);

  l.field("circuit_breaker.max_connections", a.circuit_breaker.max_connections, b.circuit_breaker.max_connections);
  l.field("circuit_breaker.max_in_flight", a.circuit_breaker.max_in_flight, b.circuit_breaker.max_in_flight);
  l.field("circuit_breaker.max_pending", a.circuit_breaker.max_pending, b.circuit_breaker.max_pending);
}

// ------------------------------------------------------------ routes ----

void diff_route(Lines& l, const Route& a, const Route& b) {
  l.text_field("match", match_text(a.match), match_text(b.match));
  l.text_field("split", split_text(a.split), split_text(b.split));
  l.text_field("sticky", hash_key_text(a.sticky), hash_key_text(b.sticky));
  l.field("upstream_model", a.upstream_model, b.upstream_model);
  l.text_field("mirror", mirror_text(a.mirror), mirror_text(b.mirror));
  l.field("fault.abort_percent", a.fault.abort_percent, b.fault.abort_percent);
  l.field("fault.abort_status", a.fault.abort_status, b.fault.abort_status);
  l.field("fault.delay_percent", a.fault.delay_percent, b.fault.delay_percent);
  l.field("fault.delay", a.fault.delay, b.fault.delay);
  if (a.timeouts.has_value() != b.timeouts.has_value()) {
    l.add(b.timeouts ? "timeouts set" : "timeouts unset (server.timeouts apply)");
  } else if (a.timeouts) {
    diff_timeouts(l, "timeouts.", *a.timeouts, *b.timeouts);
  }
  if (a.retry.has_value() != b.retry.has_value()) {
    l.add(b.retry ? "retry set" : "retry unset (server.retry applies)");
  } else if (a.retry) {
    diff_retry(l, "retry.", *a.retry, *b.retry);
  }
}

/// Items of two lists matched by name: added, removed, changed (by
/// `diff_item`), and whether the common items kept their order.
template <typename T, typename NameOf, typename DiffItem>
bool diff_lists(std::vector<std::string>& lines, std::string_view kind, const std::vector<T>& a,
                const std::vector<T>& b, NameOf name_of, DiffItem diff_item, std::vector<std::string>& added,
                std::vector<std::string>& removed, std::vector<std::string>& changed) {
  const auto find = [&](const std::vector<T>& list, const std::string& name) -> const T* {
    for (const auto& item : list) {
      if (name_of(item) == name) return &item;
    }
    return nullptr;
  };
  for (const auto& item : a) {
    if (!find(b, name_of(item))) {
      removed.push_back(name_of(item));
      lines.push_back(fmt::format("{} removed: {}", kind, name_of(item)));
    }
  }
  for (const auto& item : b) {
    const T* old = find(a, name_of(item));
    if (!old) {
      added.push_back(name_of(item));
      lines.push_back(fmt::format("{} added: {}", kind, name_of(item)));
      continue;
    }
    Lines l(lines, fmt::format("{} {}: ", kind, name_of(item)));
    diff_item(l, *old, item);
    if (l.count() > 0) changed.push_back(name_of(item));
  }
  std::vector<std::string> old_order, new_order;
  for (const auto& item : a) {
    if (find(b, name_of(item))) old_order.push_back(name_of(item));
  }
  for (const auto& item : b) {
    if (find(a, name_of(item))) new_order.push_back(name_of(item));
  }
  return old_order == new_order;
}

}  // namespace

ConfigDiff diff_configs(const Config& old, const Config& next) {
  ConfigDiff d;
  diff_server(d.lines, d.server_changed, old, next);
  const bool tenants_in_order = diff_lists(
      d.lines, "tenant", old.tenants, next.tenants, [](const Tenant& t) { return t.id; }, diff_tenant,
      d.tenants_added, d.tenants_removed, d.tenants_changed);
  if (!tenants_in_order) d.lines.push_back("tenants reordered");
  const bool models_in_order = diff_lists(
      d.lines, "model", old.models, next.models, [](const Model& m) { return m.name; }, diff_model,
      d.models_added, d.models_removed, d.models_changed);
  if (!models_in_order) d.lines.push_back("models reordered");
  const bool routes_in_order = diff_lists(
      d.lines, "route", old.routes, next.routes, [](const Route& r) { return r.name; }, diff_route,
      d.routes_added, d.routes_removed, d.routes_changed);
  if (!routes_in_order) d.lines.push_back("routes reordered");
  return d;
}

std::vector<std::string> needs_restart(const Config& old, const Config& next) {
  std::vector<std::string> out;
  const auto changed = [&](std::string_view key, const std::string& a, const std::string& b, std::string_view why) {
    if (a != b) out.push_back(fmt::format("{}: {} -> {} needs a restart ({})", key, a, b, why));
  };
  changed("listen.api", format_endpoint(old.listen.api), format_endpoint(next.listen.api),
          "listeners are bound at start");
  changed("listen.admin", format_endpoint(old.listen.admin), format_endpoint(next.listen.admin),
          "listeners are bound at start");
  // New certificate files are read on reload; turning TLS on or off is not.
  changed("listen.api_tls", old.listen.api_tls.enabled() ? "on" : "off", next.listen.api_tls.enabled() ? "on" : "off",
          "a listener speaks https or http from its start");
  changed("listen.admin_tls", old.listen.admin_tls.enabled() ? "on" : "off",
          next.listen.admin_tls.enabled() ? "on" : "off", "a listener speaks https or http from its start");
  changed("server.threads", text(old.server.threads), text(next.server.threads), "I/O threads are started once");
  changed("server.access_log", text(old.server.access_log), text(next.server.access_log),
          "the access log is opened at start");
  if (old.server.cache_salt_secret != next.server.cache_salt_secret) {
    out.push_back("server.cache_salt_secret changed: needs a restart (every tenant's cache salt derives from it)");
  }

  if (!(old.store == next.store)) {
    out.push_back("store changed: needs a restart (the store is opened and its writer started once)");
  }
  if (!(old.cluster == next.cluster)) {
    out.push_back("cluster changed: needs a restart (the replica joins Redis once, at start)");
  }
  if (!(old.admin == next.admin)) {
    out.push_back("admin changed: needs a restart (the bootstrap token and /metrics protection are read at start)");
  }
  if (!(old.fleet == next.fleet)) {
    out.push_back("fleet changed: needs a restart (the GPU pool controller reads its inventory at start)");
  }
  std::vector<std::string> old_names, new_names;
  for (const auto& m : old.models) old_names.push_back(m.name);
  for (const auto& m : next.models) new_names.push_back(m.name);
  if (old_names != new_names) {
    out.push_back(fmt::format("models: [{}] -> [{}] needs a restart (adding, removing, renaming or reordering "
                              "models: queues and engines are per model)",
                              join(old_names), join(new_names)));
    return out;  // per-model checks below need the same list
  }
  for (std::size_t i = 0; i < old.models.size(); ++i) {
    const Model& a = old.models[i];
    const Model& b = next.models[i];
    const std::string p = "model " + a.name + ": ";
    changed(p + "source", text(a.source), text(b.source), "its instances are set up at start");
    if (!(a.process == b.process)) {
      out.push_back(p + "process changed: needs a restart (the fleet controller starts its instances)");
    }
    if (a.source == ModelSource::kSim && b.source == ModelSource::kSim) {
      const std::string_view why = "the engine simulators are started once";
      changed(p + "sim.instances", text(a.sim.instances), text(b.sim.instances), why);
      changed(p + "sim.profile", a.sim.profile, b.sim.profile, why);
      changed(p + "sim.speedup", text(a.sim.speedup), text(b.sim.speedup), why);
      changed(p + "sim.seed", text(a.sim.seed), text(b.sim.seed), why);
      changed(p + "sim.backup_instances", text(a.sim.backup_instances), text(b.sim.backup_instances), why);
    }
    if (!(a.gpu == b.gpu) || !(a.recovery == b.recovery) || !(a.demand == b.demand) || a.dedicated_to != b.dedicated_to) {
      out.push_back(p + "gpu, recovery, demand or dedicated_to changed: needs a restart (the GPU pool controller "
                        "reads them at start)");
    }
    const std::string_view queue = "the model's fair queue keeps them for its lifetime";
    changed(p + "scheduler.policy", text(a.scheduler.policy), text(b.scheduler.policy), queue);
    changed(p + "scheduler.w_input", text(a.scheduler.w_input), text(b.scheduler.w_input), queue);
    changed(p + "scheduler.w_output", text(a.scheduler.w_output), text(b.scheduler.w_output), queue);
    changed(p + "scheduler.batch_promote_after", text(a.scheduler.batch_promote_after),
            text(b.scheduler.batch_promote_after), queue);
    changed(p + "scheduler.engine_metrics_interval", text(a.scheduler.engine_metrics_interval),
            text(b.scheduler.engine_metrics_interval), "the engine metrics scrape loop is set up at start");
    const std::string_view breaker = "an instance's circuit breaker keeps its limits for its lifetime";
    changed(p + "circuit_breaker.max_connections", text(a.circuit_breaker.max_connections),
            text(b.circuit_breaker.max_connections), breaker);
    changed(p + "circuit_breaker.max_in_flight", text(a.circuit_breaker.max_in_flight),
            text(b.circuit_breaker.max_in_flight), breaker);
    changed(p + "circuit_breaker.max_pending", text(a.circuit_breaker.max_pending),
            text(b.circuit_breaker.max_pending), breaker);
  }
  return out;
}

}  // namespace sluice::config
