#include "sluice/proxy/quota_admission.h"

#include <algorithm>
#include <expected>

namespace sluice::proxy {
namespace {

using net::asio::awaitable;
namespace asio = net::asio;

/// Runs ctx.take_lease and resumes this coroutine on its own executor with the answer.
awaitable<LeaseAnswer> take_lease(GatewayContext& ctx, tenancy::LeaseNeed need) {
  const auto executor = co_await asio::this_coro::executor;
  co_return co_await asio::async_initiate<decltype(asio::use_awaitable), void(LeaseAnswer)>(
      [&ctx, executor](auto handler, tenancy::LeaseNeed need) {
        auto work = asio::make_work_guard(executor);
        ctx.take_lease(std::move(need), [handler = std::move(handler), work = std::move(work)](LeaseAnswer answer) mutable {
          const auto ex = work.get_executor();
          asio::post(ex, [handler = std::move(handler), answer = std::move(answer)]() mutable {
            std::move(handler)(std::move(answer));
          });
        });
      },
      asio::use_awaitable, std::move(need));
}

}  // namespace

awaitable<tenancy::AdmitDecision> admit_quota(Worker& worker, const ConfigSnapshot& cfg, std::size_t tenant,
                                              std::size_t model, std::int64_t tokens) {
  tenancy::AdmitDecision d = cfg.quotas->admit(tenant, model, tokens, worker.clock.now());
  // Usually one call. More when, while it was away, other requests of this
  // replica used up a lease this one did not ask for (it had enough then):
  // a few tries, then the refusal stands.
  for (int attempt = 0; attempt < 3 && d.lease && worker.ctx.take_lease; ++attempt) {
    tenancy::LeaseNeed need = std::move(*d.lease);
    d.lease.reset();
    const LeaseAnswer answer = co_await take_lease(worker.ctx, need);
    if (answer && !answer->granted) {  // the tenant is at its limit across replicas
      d.retry_after = std::max<core::Duration>(std::chrono::milliseconds(answer->retry_after_ms),
                                               std::chrono::milliseconds(1));
      co_return d;
    }
    // Granted: admitted from the lease before any other request. Redis failed: the ledger is in its fallback now.
    d = answer ? cfg.quotas->admit_granted(tenant, model, tokens, need, *answer, worker.clock.now())
               : cfg.quotas->admit(tenant, model, tokens, worker.clock.now());
  }
  d.lease.reset();
  co_return d;
}

obs::RefusalReason refusal_reason(tenancy::Refusal refusal) {
  switch (refusal) {
    case tenancy::Refusal::kRequests: return obs::RefusalReason::kRequests;
    case tenancy::Refusal::kTokens: return obs::RefusalReason::kTokens;
    case tenancy::Refusal::kTooLarge: return obs::RefusalReason::kTooLarge;
    case tenancy::Refusal::kConcurrency:
    case tenancy::Refusal::kUnavailable:
    case tenancy::Refusal::kNone: break;
  }
  return obs::RefusalReason::kConcurrency;
}

core::Error refusal_error(const tenancy::AdmitDecision& refused) {
  using core::ErrorCode;
  const ErrorCode code = refused.refusal == tenancy::Refusal::kConcurrency   ? ErrorCode::kConcurrencyLimited
                         : refused.refusal == tenancy::Refusal::kTooLarge    ? ErrorCode::kInvalidRequest
                         : refused.refusal == tenancy::Refusal::kUnavailable ? ErrorCode::kLimitsUnavailable
                                                                              : ErrorCode::kRateLimited;
  return core::Error{code, refused.message, refused.refusal == tenancy::Refusal::kTooLarge ? "max_tokens" : "", 0};
}

}  // namespace sluice::proxy
