#include "sluice/proxy/budgets.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <map>
#include <set>

#include "sluice/config/budget_text.h"
#include "sluice/obs/gateway_metrics.h"
#include "sluice/obs/histogram.h"
#include "sluice/proxy/rate_limit_head.h"
#include "sluice/tenancy/pricing.h"

namespace sluice::proxy {

std::int64_t unix_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

tenancy::BudgetAdmit admit_budget(tenancy::BudgetLedger& ledger, std::size_t tenant, const tenancy::KeyEntry* key,
                                  const config::Model& model, std::int64_t input, std::int64_t output,
                                  std::int64_t now_ms) {
  // Only keys with budgets of their own have a scope: no lookup for the rest.
  const auto key_scope = key && !key->budgets.empty() ? ledger.key_scope(key->id) : std::nullopt;
  const tenancy::Spend worst{input + output, tenancy::cost_usd(model, input, output)};
  return ledger.admit(tenant, key_scope, worst, now_ms);
}

tenancy::Spend charged(const config::Model& model, int status, std::int64_t prompt_tokens,
                       std::int64_t completion_tokens, std::int64_t streamed_tokens) {
  const std::int64_t completion = completion_tokens > 0 ? completion_tokens : streamed_tokens;
  const std::int64_t prompt = status == 200 || completion > 0 ? prompt_tokens : 0;
  return tenancy::Spend{prompt + completion, tenancy::cost_usd(model, prompt, completion)};
}

std::string budget_retry_after(const tenancy::BudgetAdmit& refused, std::int64_t now_ms) {
  if (refused.resets_at_ms == 0) return "";
  return retry_after_line(std::chrono::milliseconds(std::max<std::int64_t>(0, refused.resets_at_ms - now_ms)));
}

void report_soft_crossings(const GatewayContext& ctx, std::span<const tenancy::SoftCrossing> crossed) {
  for (const auto& c : crossed) {
    spdlog::warn("budget soft threshold crossed: {} {}{} spent {} of {}", tenancy::to_string(c.scope), c.id,
                 c.scope == tenancy::BudgetScope::kKey ? fmt::format(" (tenant {})", c.tenant) : std::string(),
                 config::amount_text(c.budget.unit, c.spent), config::budget_text(c.budget));
    if (ctx.on_budget_soft) ctx.on_budget_soft(c);
  }
}

void render_budget_metrics(const ConfigSnapshot& snapshot, obs::GatewayMetrics& metrics, std::string& out) {
  if (!snapshot.budgets || !snapshot.budgets->any()) return;
  auto statuses = snapshot.budgets->statuses(unix_now_ms());
  std::set<std::string> with_budgets;
  for (const auto& s : statuses) with_budgets.insert(s.tenant);
  // One series per budget: tenants, and only the keys that have budgets of
  // their own (a handful), so the labels stay few. Tenants beyond
  // metrics.max_tenant_series have no series of their own: their levels do
  // not add up, and their refusals are counted under the shared label.
  std::erase_if(statuses, [&](const tenancy::BudgetStatus& s) {
    return metrics.tenant_label(s.tenant) == obs::GatewayMetrics::kOtherTenants;
  });
  std::vector<std::string> labels;
  labels.reserve(statuses.size());
  for (const auto& s : statuses) {
    labels.push_back(fmt::format("tenant=\"{}\",scope=\"{}\",key=\"{}\",unit=\"{}\",period=\"{}\"",
                                 obs::escape_label(s.tenant), tenancy::to_string(s.scope),
                                 s.scope == tenancy::BudgetScope::kKey ? obs::escape_label(s.id) : std::string(),
                                 config::to_string(s.budget.unit), config::to_string(s.budget.period)));
  }
  auto it = std::back_inserter(out);
  obs::render_header(out, "sluice_budget_spent", "gauge",
                     "Spent in the budget's current period (US dollars or tokens), by requests that ended.");
  for (std::size_t i = 0; i < statuses.size(); ++i) fmt::format_to(it, "sluice_budget_spent{{{}}} {}\n", labels[i], statuses[i].spent);
  obs::render_header(out, "sluice_budget_held", "gauge",
                     "Held by requests in flight (their worst case), in the budget's unit.");
  for (std::size_t i = 0; i < statuses.size(); ++i) fmt::format_to(it, "sluice_budget_held{{{}}} {}\n", labels[i], statuses[i].held);
  obs::render_header(out, "sluice_budget_limit", "gauge", "A budget's limit per period (US dollars or tokens).");
  for (std::size_t i = 0; i < statuses.size(); ++i) {
    fmt::format_to(it, "sluice_budget_limit{{{}}} {}\n", labels[i], statuses[i].budget.limit);
  }
  obs::render_header(out, "sluice_budget_soft_exceeded", "gauge",
                     "1 when the spend of the current period has reached the budget's soft threshold.");
  for (std::size_t i = 0; i < statuses.size(); ++i) {
    fmt::format_to(it, "sluice_budget_soft_exceeded{{{}}} {}\n", labels[i], statuses[i].soft_exceeded ? 1 : 0);
  }
  obs::render_header(out, "sluice_budget_refusals_total", "counter",
                     "Requests refused with 429 insufficient_quota because a budget of the tenant or its key was used up.");
  std::map<std::string, std::uint64_t> refusals;
  for (const auto& t : snapshot.tenants.tenants()) {
    if (!with_budgets.contains(t.id.str())) continue;
    refusals[metrics.tenant_label(t.id.str())] += snapshot.budgets->refusals(t.index);
  }
  for (const auto& [label, n] : refusals) {
    fmt::format_to(it, "sluice_budget_refusals_total{{tenant=\"{}\"}} {}\n", obs::escape_label(label), n);
  }
}

nlohmann::json budgets_json(const ConfigSnapshot& snapshot, std::string_view tenant_id, std::int64_t now_ms) {
  nlohmann::json out = nlohmann::json::array();
  if (!snapshot.budgets) return out;
  const auto add = [&](const tenancy::BudgetStatus& s) {
    out.push_back({{"scope", tenancy::to_string(s.scope)},
                   {"key", s.scope == tenancy::BudgetScope::kKey ? nlohmann::json(s.id) : nlohmann::json(nullptr)},
                   {"limit", s.budget.limit},
                   {"unit", config::to_string(s.budget.unit)},
                   {"period", config::to_string(s.budget.period)},
                   {"soft", s.budget.soft_fraction},
                   {"spent", s.spent},
                   {"held", s.held},
                   {"remaining", s.remaining},
                   {"soft_exceeded", s.soft_exceeded},
                   {"resets_at", s.resets_at_ms == 0 ? nlohmann::json(nullptr)
                                                      : nlohmann::json(tenancy::rfc3339_utc(s.resets_at_ms))}});
  };
  for (const auto& s : snapshot.budgets->remaining(tenancy::BudgetScope::kTenant, tenant_id, now_ms)) add(s);
  for (const auto& s : snapshot.budgets->statuses(now_ms)) {
    if (s.scope == tenancy::BudgetScope::kKey && s.tenant == tenant_id) add(s);
  }
  return out;
}

}  // namespace sluice::proxy
