#include "sluice/proxy/scheduler_metrics.h"

#include <fmt/format.h>

#include <map>

#include "sluice/obs/histogram.h"
#include "sluice/proxy/budgets.h"
#include "sluice/proxy/fleet_fairness.h"
#include "sluice/proxy/model_pool.h"
#include "sluice/tenancy/quota_ledger.h"

namespace sluice::proxy {

void render_scheduler_metrics(GatewayContext& ctx, std::string& out) {
  const auto cfg = ctx.config.load();
  const auto& tenants = cfg->tenants.tenants();
  const auto& models = cfg->config.models;
  auto it = std::back_inserter(out);
  std::vector<ModelPool::View> views;
  for (const auto& pool : ctx.pools) {
    views.push_back(pool->view());
    // Pools know tenants by scheduler id: name them, and leave out tenants
    // a reload removed once nothing of theirs is queued or running.
    std::erase_if(views.back().tenants, [&](const ModelPool::TenantView& t) {
      return t.tenant >= cfg->sched_tenant_ids().size() ||
             (!cfg->sched_tenant_current(t.tenant) && t.queued == 0 && t.running == 0);
    });
  }
  // Tenants beyond metrics.max_tenant_series share one label: their counts
  // are summed under it; figures that do not add up (virtual counters,
  // quota and budget levels) are left out for them.
  std::vector<std::string> labels;  // by scheduler slot
  for (const auto& id : cfg->sched_tenant_ids()) labels.push_back(ctx.metrics.tenant_label(id));
  const auto other = [](const std::string& label) { return label == obs::GatewayMetrics::kOtherTenants; };

  obs::render_header(out, "sluice_queue_depth", "gauge", "Requests waiting in a model's fair queue, by priority band.");
  for (std::size_t m = 0; m < views.size(); ++m) {
    for (int b = 0; b < sched::kBands; ++b) {
      fmt::format_to(it, "sluice_queue_depth{{model=\"{}\",band=\"{}\"}} {}\n", obs::escape_label(models[m].name),
                     config::to_string(static_cast<config::Priority>(b)), views[m].queued_by_band[b]);
    }
  }
  const auto per_tenant_sum = [&](std::string_view name, auto value) {
    for (std::size_t m = 0; m < views.size(); ++m) {
      std::map<std::string, std::int64_t> by_label;
      for (const auto& t : views[m].tenants) by_label[labels[t.tenant]] += static_cast<std::int64_t>(value(t));
      for (const auto& [label, n] : by_label) {
        fmt::format_to(it, "{}{{model=\"{}\",tenant=\"{}\"}} {}\n", name, obs::escape_label(models[m].name),
                       obs::escape_label(label), n);
      }
    }
  };
  obs::render_header(out, "sluice_queue_tenant_depth", "gauge", "Requests of a tenant waiting in a model's queue.");
  per_tenant_sum("sluice_queue_tenant_depth", [](const ModelPool::TenantView& t) { return t.queued; });
  obs::render_header(out, "sluice_scheduler_running", "gauge", "Requests of a tenant running on a model's instances.");
  per_tenant_sum("sluice_scheduler_running", [](const ModelPool::TenantView& t) { return t.running; });
  obs::render_header(out, "sluice_scheduler_virtual_counter", "gauge",
                     "A tenant's virtual token counter in a model's queue (weighted tokens / weight; vtc).");
  for (std::size_t m = 0; m < views.size(); ++m) {
    for (const auto& t : views[m].tenants) {
      if (other(labels[t.tenant])) continue;
      fmt::format_to(it, "sluice_scheduler_virtual_counter{{model=\"{}\",tenant=\"{}\"}} {}\n",
                     obs::escape_label(models[m].name), obs::escape_label(labels[t.tenant]), t.counter);
    }
  }
  obs::render_header(out, "sluice_stream_continuations_total", "counter",
                     "Streams whose engine failed mid-way, by outcome: spliced (continued on another instance, "
                     "or closed normally with nothing left to generate) or failed (ended with an SSE error event).");
  for (std::size_t m = 0; m < ctx.pools.size() && m < models.size(); ++m) {
    const auto& counters = ctx.pools[m]->continuations();
    const std::string model = obs::escape_label(models[m].name);
    fmt::format_to(it, "sluice_stream_continuations_total{{model=\"{}\",outcome=\"spliced\"}} {}\n", model,
                   counters.spliced.load(std::memory_order_relaxed));
    fmt::format_to(it, "sluice_stream_continuations_total{{model=\"{}\",outcome=\"failed\"}} {}\n", model,
                   counters.failed.load(std::memory_order_relaxed));
  }

  obs::render_header(out, "sluice_tenant_weight", "gauge",
                     "A tenant's weight in the fair queues (its share of tokens when all are busy).");
  for (const auto& t : tenants) {
    const std::string label = ctx.metrics.tenant_label(t.id.str());
    if (other(label)) continue;
    fmt::format_to(it, "sluice_tenant_weight{{tenant=\"{}\"}} {}\n", obs::escape_label(label), t.weight);
  }
  render_budget_metrics(*cfg, ctx.metrics, out);
  if (!cfg->quotas) return;
  const auto now = core::steady_now();
  const std::size_t no_model = models.size();
  obs::render_header(out, "sluice_quota_remaining_requests", "gauge", "Requests left in a tenant's per-minute bucket.");
  std::string tokens;
  std::map<std::string, std::int64_t> in_flight;
  for (const auto& t : tenants) {
    const std::string label = ctx.metrics.tenant_label(t.id.str());
    in_flight[label] += cfg->quotas->in_flight(t.index);
    if (other(label)) continue;
    const auto s = cfg->quotas->status(t.index, no_model, now);
    if (s.limit_requests) {
      fmt::format_to(it, "sluice_quota_remaining_requests{{tenant=\"{}\"}} {}\n", obs::escape_label(label),
                     s.remaining_requests);
    }
    if (s.limit_tokens) {
      fmt::format_to(std::back_inserter(tokens), "sluice_quota_remaining_tokens{{tenant=\"{}\"}} {}\n",
                     obs::escape_label(label), s.remaining_tokens);
    }
  }
  obs::render_header(out, "sluice_quota_remaining_tokens", "gauge", "Tokens left in a tenant's per-minute bucket.");
  out += tokens;
  obs::render_header(out, "sluice_quota_in_flight", "gauge", "A tenant's admitted, unfinished requests.");
  for (const auto& [label, n] : in_flight) {
    fmt::format_to(it, "sluice_quota_in_flight{{tenant=\"{}\"}} {}\n", obs::escape_label(label), n);
  }
  render_fairness_metrics(ctx, out);
}

}  // namespace sluice::proxy
