#pragma once
/// Prometheus text for the schedulers and quotas, read at scrape time:
/// queue depth per model and band and per model and tenant, running
/// requests and virtual counters per tenant, the quota left, budgets
/// (budgets.h), and what each model's pool counts (stream continuations).
#include <string>

#include "sluice/proxy/gateway_context.h"

namespace sluice::proxy {

void render_scheduler_metrics(GatewayContext& ctx, std::string& out);

}  // namespace sluice::proxy
