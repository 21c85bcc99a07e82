#pragma once
/// Budgets on the request path (tenancy/budget_ledger.h holds the counts):
/// the worst case a request holds at admission, the 429 it gets when that
/// does not fit, the soft-threshold reports, and what /metrics and the
/// admin API show. Thread-safety: as BudgetLedger; all functions may be
/// called from any thread.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "sluice/proxy/gateway_context.h"
#include "sluice/tenancy/budget_ledger.h"

namespace sluice::proxy {

/// Wall-clock unix milliseconds: budget periods are UTC calendar periods.
std::int64_t unix_now_ms();

/// Holds the worst case of a request of `tenant` with `key` (null: none
/// known) on `model`: `input` estimated prompt tokens + `output` (max_tokens
/// or the model's default), in tokens and at the model's prices.
tenancy::BudgetAdmit admit_budget(tenancy::BudgetLedger& ledger, std::size_t tenant, const tenancy::KeyEntry* key,
                                  const config::Model& model, std::int64_t input, std::int64_t output,
                                  std::int64_t now_ms);

/// What a finished request is charged, exactly as the usage ledger records
/// it (so what seed() loads from there matches what settle() counted).
tenancy::Spend charged(const config::Model& model, int status, std::int64_t prompt_tokens,
                       std::int64_t completion_tokens, std::int64_t streamed_tokens);

/// "Retry-After: N\r\n" until the refused budget resets; "" for a total budget.
std::string budget_retry_after(const tenancy::BudgetAdmit& refused, std::int64_t now_ms);

/// Logs each crossing (once per budget and period) and passes it to
/// `ctx.on_budget_soft`, if set, for the audit log.
void report_soft_crossings(const GatewayContext& ctx, std::span<const tenancy::SoftCrossing> crossed);

/// sluice_budget_spent / _limit / _soft_exceeded {tenant,scope,key,unit,period}
/// and sluice_budget_refusals_total {tenant}, for tenants and keys with budgets
/// (under `metrics`' tenant label rule: see GatewayMetrics::tenant_label).
void render_budget_metrics(const ConfigSnapshot& snapshot, obs::GatewayMetrics& metrics, std::string& out);

/// The budgets of tenant `tenant_id` and of its keys, as the admin API shows
/// them: [{"scope","key","limit","unit","period","soft","spent","held",
/// "remaining","resets_at"(RFC 3339 or null)}].
nlohmann::json budgets_json(const ConfigSnapshot& snapshot, std::string_view tenant_id, std::int64_t now_ms);

}  // namespace sluice::proxy
