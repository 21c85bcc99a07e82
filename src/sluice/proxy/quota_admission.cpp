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
  tenancy::QuotaLedger& quotas = *cfg.quotas;
  tenancy::AdmitDecision d = quotas.admit(tenant, model, tokens, worker.clock.now());
  // Pending: held while one Redis call takes what the leases lack. When that
  // call fails the ledger is in its fallback, and the request is admitted
  // again by it (once more, in case Redis came back meanwhile).
  for (int attempt = 0; attempt < 2 && d.pending(); ++attempt) {
    const tenancy::LeaseNeed need = std::move(*d.lease);
    d.lease.reset();
    LeaseAnswer answer = std::unexpected(std::string("limits are not shared"));
    if (worker.ctx.take_lease) answer = co_await take_lease(worker.ctx, need);  // (no co_await in a ?: with GCC 12)
    if (answer) co_return quotas.admit_granted(tenant, model, tokens, need, *answer, worker.clock.now());
    quotas.release(tenant, model, tokens, need);
    d = quotas.admit(tenant, model, tokens, worker.clock.now());
  }
  if (d.pending()) {  // Redis failed twice and is up again each time: give up on this one
    quotas.release(tenant, model, tokens, *d.lease);
    d = {};
    d.refusal = tenancy::Refusal::kUnavailable;
    d.retry_after = std::chrono::seconds(1);
    d.message = "Rate limits are shared between gateway replicas and their shared state did not answer; "
                "please try again shortly.";
  }
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
