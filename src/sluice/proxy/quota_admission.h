#pragma once
/// The admission stage's quota check: the ledger alone, or, when the limits
/// are shared with other replicas and this one's lease ran out, one trip to
/// the shared buckets (cluster/shared_limits.h) off this I/O thread.
#include <cstdint>

#include "sluice/core/error.h"
#include "sluice/net/asio.h"
#include "sluice/obs/gateway_metrics.h"
#include "sluice/proxy/gateway_context.h"
#include "sluice/proxy/worker.h"
#include "sluice/tenancy/quota_ledger.h"

namespace sluice::proxy {

/// Admits a request needing `tokens` (estimate) of tenant × model, or says
/// why not. A refusal for want of a lease takes one from the shared buckets
/// and tries again; when Redis fails, the ledger is in its fallback and
/// decides alone.
net::asio::awaitable<tenancy::AdmitDecision> admit_quota(Worker& worker, const ConfigSnapshot& cfg,
                                                         std::size_t tenant, std::size_t model,
                                                         std::int64_t tokens);

/// The metrics label of a refusal.
obs::RefusalReason refusal_reason(tenancy::Refusal refusal);
/// The OpenAI-style error a refused admission answers.
core::Error refusal_error(const tenancy::AdmitDecision& refused);

}  // namespace sluice::proxy
