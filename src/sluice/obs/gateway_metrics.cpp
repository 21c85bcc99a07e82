#include "sluice/obs/gateway_metrics.h"

#include <fmt/format.h>

namespace sluice::obs {

RequestSeries::RequestSeries()
    : time_to_first_token(latency_buckets_seconds()), duration(latency_buckets_seconds()),
      queue_wait(latency_buckets_seconds()) {}

void RequestSeries::count_status(int status) {
  for (std::size_t i = 0; i + 1 < kCountedStatuses.size(); ++i) {
    if (kCountedStatuses[i] == status) {
      by_status[i].fetch_add(1, std::memory_order_relaxed);
      return;
    }
  }
  by_status.back().fetch_add(1, std::memory_order_relaxed);
}

void GatewayMetrics::set_max_tenant_series(std::size_t limit) {
  std::lock_guard lock(mu_);
  max_tenants_ = limit;
}

std::string_view GatewayMetrics::label_locked(std::string_view tenant) {
  if (tenant == kNone) return kNone;
  if (auto it = labelled_.find(tenant); it != labelled_.end()) return *it;
  if (max_tenants_ != 0 && labelled_.size() >= max_tenants_) return kOtherTenants;
  return *labelled_.emplace(tenant).first;
}

std::string GatewayMetrics::tenant_label(std::string_view tenant) {
  std::lock_guard lock(mu_);
  return std::string(label_locked(tenant));
}

RequestSeries* GatewayMetrics::series(std::string_view tenant, std::string_view model) {
  std::lock_guard lock(mu_);
  auto& slot = series_[{std::string(label_locked(tenant)), std::string(model)}];
  if (!slot) slot = std::make_unique<RequestSeries>();
  return slot.get();
}

std::string escape_label(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\' || c == '"') out.push_back('\\');
    if (c == '\n') { out.append("\\n"); continue; }
    out.push_back(c);
  }
  return out;
}

void GatewayMetrics::render(std::string& out) const {
  std::lock_guard lock(mu_);
  auto it = std::back_inserter(out);
  render_header(out, "sluice_requests_total", "counter", "Requests by tenant, model and HTTP status.");
  for (const auto& [key, s] : series_) {
    for (std::size_t i = 0; i < kCountedStatuses.size(); ++i) {
      const auto n = s->by_status[i].load(std::memory_order_relaxed);
      if (n == 0) continue;
      const std::string status = kCountedStatuses[i] == 0 ? "other" : std::to_string(kCountedStatuses[i]);
      fmt::format_to(it, "sluice_requests_total{{tenant=\"{}\",model=\"{}\",status=\"{}\"}} {}\n",
                     escape_label(key.first), escape_label(key.second), status, n);
    }
  }
  render_header(out, "sluice_prompt_tokens_total", "counter", "Prompt tokens served, from engine usage.");
  for (const auto& [key, s] : series_) {
    if (key.second.empty()) continue;
    fmt::format_to(it, "sluice_prompt_tokens_total{{tenant=\"{}\",model=\"{}\"}} {}\n", escape_label(key.first),
                   escape_label(key.second), s->prompt_tokens.load(std::memory_order_relaxed));
  }
  render_header(out, "sluice_completion_tokens_total", "counter", "Completion tokens served, from engine usage.");
  for (const auto& [key, s] : series_) {
    if (key.second.empty()) continue;
    fmt::format_to(it, "sluice_completion_tokens_total{{tenant=\"{}\",model=\"{}\"}} {}\n", escape_label(key.first),
                   escape_label(key.second), s->completion_tokens.load(std::memory_order_relaxed));
  }
  render_header(out, "sluice_time_to_first_token_seconds", "histogram",
                "Time from request read to the first token relayed (whole response when not streamed).");
  for (const auto& [key, s] : series_) {
    if (key.second.empty() || s->time_to_first_token.count() == 0) continue;
    s->time_to_first_token.render(out, "sluice_time_to_first_token_seconds",
                                  fmt::format("tenant=\"{}\",model=\"{}\"", escape_label(key.first), escape_label(key.second)));
  }
  render_header(out, "sluice_request_duration_seconds", "histogram", "Time from request read to the last byte written.");
  for (const auto& [key, s] : series_) {
    if (key.second.empty() || s->duration.count() == 0) continue;
    s->duration.render(out, "sluice_request_duration_seconds",
                       fmt::format("tenant=\"{}\",model=\"{}\"", escape_label(key.first), escape_label(key.second)));
  }
  render_header(out, "sluice_queue_wait_seconds", "histogram",
                "Time a served request waited in its model's fair queue before an instance had room (refusals are in sluice_refusals_total).");
  for (const auto& [key, s] : series_) {
    if (key.second.empty() || s->queue_wait.count() == 0) continue;
    s->queue_wait.render(out, "sluice_queue_wait_seconds",
                         fmt::format("tenant=\"{}\",model=\"{}\"", escape_label(key.first), escape_label(key.second)));
  }
  render_header(out, "sluice_scheduler_dispatches_total", "counter", "Requests the scheduler sent to an instance.");
  for (const auto& [key, s] : series_) {
    const auto n = s->dispatched.load(std::memory_order_relaxed);
    if (key.second.empty() || n == 0) continue;
    fmt::format_to(it, "sluice_scheduler_dispatches_total{{tenant=\"{}\",model=\"{}\"}} {}\n", escape_label(key.first),
                   escape_label(key.second), n);
  }
  render_header(out, "sluice_refusals_total", "counter",
                "Requests refused with 429, by reason: requests, tokens, too_large, concurrency, queue_full, queue_timeout.");
  for (const auto& [key, s] : series_) {
    for (std::size_t r = 0; r < kRefusalReasons.size(); ++r) {
      const auto n = s->refused[r].load(std::memory_order_relaxed);
      if (n == 0) continue;
      fmt::format_to(it, "sluice_refusals_total{{tenant=\"{}\",model=\"{}\",reason=\"{}\"}} {}\n",
                     escape_label(key.first), escape_label(key.second), kRefusalReasons[r], n);
    }
  }
  render_header(out, "sluice_requests_in_flight", "gauge", "Requests being served right now.");
  fmt::format_to(it, "sluice_requests_in_flight {}\n", requests_in_flight.load(std::memory_order_relaxed));
  render_header(out, "sluice_client_disconnects_total", "counter", "Clients that went away before their response ended.");
  fmt::format_to(it, "sluice_client_disconnects_total {}\n", client_disconnects.load(std::memory_order_relaxed));
  render_header(out, "sluice_upstream_connections_opened_total", "counter", "New connections to engine instances.");
  fmt::format_to(it, "sluice_upstream_connections_opened_total {}\n", upstream_connects.load(std::memory_order_relaxed));
  render_header(out, "sluice_upstream_connections_reused_total", "counter", "Requests sent on a pooled keep-alive connection.");
  fmt::format_to(it, "sluice_upstream_connections_reused_total {}\n", upstream_reused.load(std::memory_order_relaxed));
  render_header(out, "sluice_upstream_retries_total", "counter",
                "Requests retried on another instance after the first gave no response (refused, reset).");
  fmt::format_to(it, "sluice_upstream_retries_total {}\n", upstream_retries.load(std::memory_order_relaxed));
  render_header(out, "sluice_retry_budget_exhausted_total", "counter",
                "Retries not made because the model's retry budget was used up.");
  fmt::format_to(it, "sluice_retry_budget_exhausted_total {}\n", retry_budget_exhausted.load(std::memory_order_relaxed));
  routes.render(out);
}

}  // namespace sluice::obs
